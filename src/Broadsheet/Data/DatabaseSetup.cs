using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Broadsheet.Data;

/// <summary>Chooses the database provider from configuration and brings the schema up to date at start.</summary>
public static class DatabaseSetup
{
    public static void AddBroadsheetDatabase(this WebApplicationBuilder builder, string dataPath)
    {
        var provider = (builder.Configuration["Database:Provider"] ?? "sqlite").Trim().ToLowerInvariant();
        var connectionString = builder.Configuration.GetConnectionString("Default");
        switch (provider)
        {
            case "sqlite":
                if (string.IsNullOrWhiteSpace(connectionString))
                    connectionString = $"Data Source={Path.Combine(dataPath, "broadsheet.db")}";
                builder.Services.AddDbContextPool<BroadsheetDb, SqliteBroadsheetDb>(o => o.UseSqlite(connectionString));
                break;
            case "postgres" or "postgresql":
                if (string.IsNullOrWhiteSpace(connectionString))
                    throw new InvalidOperationException("Database:Provider is postgres but ConnectionStrings:Default is empty.");
                builder.Services.AddDbContextPool<BroadsheetDb, PostgresBroadsheetDb>(o => o.UseNpgsql(connectionString));
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
