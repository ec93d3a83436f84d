using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Broadsheet.Data;

/// <summary>Chooses the database provider from configuration and brings the schema up to date at start.</summary>
public static class DatabaseSetup
{
    /// <summary>The configured provider, normalised: "sqlite" unless set.</summary>
    public static string Provider(IConfiguration configuration) =>
        (configuration["Database:Provider"] ?? "sqlite").Trim().ToLowerInvariant();

    /// <summary>Whether the configured provider is PostgreSQL (for choices made before any context exists).</summary>
    public static bool OnPostgres(IConfiguration configuration) => IsPostgres(Provider(configuration));

    private static bool IsPostgres(string provider) => provider is "postgres" or "postgresql";

    public static void AddBroadsheetDatabase(this WebApplicationBuilder builder, string dataPath)
    {
        var provider = Provider(builder.Configuration);
        var connectionString = builder.Configuration.GetConnectionString("Default");
        switch (provider)
        {
            case var _ when IsPostgres(provider):
                if (string.IsNullOrWhiteSpace(connectionString))
                    throw new InvalidOperationException("Database:Provider is postgres but ConnectionStrings:Default is empty.");
                // We keep no session state on connections, so skip the reset (DISCARD ALL) each time one returns to the pool.
                var npgsql = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
                if (!connectionString.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase)) npgsql.NoResetOnClose = true;
                // Statements run again and again (the mail worker's, the pages' look-ups) are prepared on each pooled
                // connection after a few uses, so PostgreSQL stops parsing and planning them every time. EF Core names
                // every column it reads, so a later migration cannot change a prepared statement's result type.
                if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)) npgsql.MaxAutoPrepare = 64;
                builder.Services.AddDbContextPool<BroadsheetDb, PostgresBroadsheetDb>(o => o.UseNpgsql(npgsql.ConnectionString));
                break;
            case "sqlite":
                if (string.IsNullOrWhiteSpace(connectionString))
                    connectionString = $"Data Source={Path.Combine(dataPath, "broadsheet.db")}";
                builder.Services.AddDbContextPool<BroadsheetDb, SqliteBroadsheetDb>(o => o.UseSqlite(connectionString).AddInterceptors(SqliteBusyTimeout.Instance));
                builder.Services.AddHostedService(sp => new SqliteCheckpointer(connectionString, sp.GetRequiredService<ILogger<SqliteCheckpointer>>()));
                break;
            default:
                throw new InvalidOperationException($"Database:Provider must be 'sqlite' or 'postgres', not '{provider}'.");
        }
    }

    public static async Task MigrateAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BroadsheetDb>();
        if (db.Database.IsSqlite())
        {
            // WAL lets readers (article pages) carry on while a sign-up commits; it is a property of the file, so set it once.
            await db.Database.OpenConnectionAsync();
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            await db.Database.CloseConnectionAsync();
        }
        await db.Database.MigrateAsync();
    }
}

/// <summary>
/// Lets SQLite itself wait (in short steps) for the write lock when another connection holds it, instead of failing
/// at once and leaving Microsoft.Data.Sqlite to retry every 150 ms; and leaves checkpoints to <see cref="SqliteCheckpointer"/>.
/// </summary>
/// <remarks>
/// Set through the C API on every open: a PRAGMA here was a statement compiled on every use of a connection. A
/// writer copies the log into the database itself only when the log passes <see cref="BackstopPages"/> pages, which
/// the checkpointer keeps it from reaching; by default that copy and its sync ran inside a writer's commit, every
/// 1,000 pages, with every other writer waiting.
/// </remarks>
public sealed class SqliteBusyTimeout : Microsoft.EntityFrameworkCore.Diagnostics.DbConnectionInterceptor
{
    public static readonly SqliteBusyTimeout Instance = new();

    /// <summary>The log size (pages of 4 KB) at which a writer checkpoints after all, should the checkpointer fall behind.</summary>
    public const int BackstopPages = 4000;

    public override void ConnectionOpened(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData, CancellationToken ct = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    /// <summary>Applies both settings to an open connection, also to the app's own connections outside EF Core.</summary>
    public static void Apply(System.Data.Common.DbConnection connection)
    {
        var handle = ((Microsoft.Data.Sqlite.SqliteConnection)connection).Handle;
        SQLitePCL.raw.sqlite3_busy_timeout(handle, 5000);
        SQLitePCL.raw.sqlite3_wal_autocheckpoint(handle, BackstopPages);
    }
}

/// <summary>Lets <c>dotnet ef migrations add --context SqliteBroadsheetDb</c> build the model without the app.</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteBroadsheetDb>
{
    public SqliteBroadsheetDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteBroadsheetDb>().UseSqlite("Data Source=design.db").Options);
}

/// <summary>Lets <c>dotnet ef migrations add --context PostgresBroadsheetDb</c> build the model without a server.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresBroadsheetDb>
{
    public PostgresBroadsheetDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresBroadsheetDb>().UseNpgsql("Host=localhost;Database=design").Options);
}
