namespace Broadsheet.Tests.Infrastructure;

/// <summary>Where the test run's shared resources are: the repository, the seed article, the private PostgreSQL server.</summary>
public static class TestEnvironment
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The publisher's article page that the product is built around (read, never copied into the repository).</summary>
    public static string SeedText => File.ReadAllText(SeedFile);

    public static string SeedFile
    {
        get
        {
            var dir = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "seed"));
            var file = Directory.Exists(dir) ? Directory.GetFiles(dir, "000_*.txt").OrderBy(f => f).FirstOrDefault() : null;
            return file ?? throw new InvalidOperationException($"The seed article is expected under {dir}.");
        }
    }

    /// <summary>Connection string of the private PostgreSQL server that scripts/test starts (database name is added per app).</summary>
    public static string PostgresServer =>
        Environment.GetEnvironmentVariable("BROADSHEET_TEST_PG") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException("BROADSHEET_TEST_PG is not set: run the tests with scripts/test, which starts PostgreSQL.");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Broadsheet.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root (Broadsheet.slnx).");
    }
}
