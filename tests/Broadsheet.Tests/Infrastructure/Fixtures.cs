namespace Broadsheet.Tests.Infrastructure;

/// <summary>One app and one SMTP sink shared by every test in a collection; tests keep apart by using fresh addresses.</summary>
public abstract class AppFixture(DatabaseKind kind) : IAsyncLifetime
{
    public DatabaseKind Kind { get; } = kind;
    public SmtpSink Smtp { get; private set; } = null!;
    public BroadsheetServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Smtp = new SmtpSink();
        Server = await BroadsheetServer.StartAsync(Kind, Smtp);
        await TestData.EnsureNewslettersAsync(Server);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}

/// <summary>The shared app on SQLite.</summary>
public sealed class SqliteApp() : AppFixture(DatabaseKind.Sqlite);

/// <summary>The shared app on PostgreSQL.</summary>
public sealed class PostgresApp() : AppFixture(DatabaseKind.Postgres);

[CollectionDefinition(Name)]
public sealed class SqliteCollection : ICollectionFixture<SqliteApp>
{
    public const string Name = "sqlite";
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresApp>
{
    public const string Name = "postgres";
}
