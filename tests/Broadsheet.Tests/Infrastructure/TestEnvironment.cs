namespace Broadsheet.Tests.Infrastructure;

/// <summary>Where the test run's shared resources are: the repository, the seed article, the private PostgreSQL server.</summary>
public static class TestEnvironment
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The publisher's article page that the product is built around (read, never copied into the repository).</summary>
    public static string SeedText => File.ReadAllText(SeedFile);

    public static string SeedFile => Seed.Value;

    // Found once per run: looking beside a local origin asks git, and many tests read the seed.
    private static readonly Lazy<string> Seed = new(FindSeedFile);

    private static string FindSeedFile()
    {
        var dirs = SeedDirectories().ToList();
        var file = dirs.Where(Directory.Exists).Select(d => Directory.GetFiles(d, "000_*.txt").OrderBy(f => f).FirstOrDefault()).FirstOrDefault(f => f is not null);
        return file ?? throw new InvalidOperationException(
            $"The seed article is expected under {string.Join(" or ", dirs)} (BROADSHEET_SEED_DIR names another folder).");
    }

    /// <summary>
    /// BROADSHEET_SEED_DIR if set; else <c>shared/seed</c> beside the repository; else, for a clone of a local
    /// checkout (a scratch clone that runs .ci/run), beside the checkout it was cloned from.
    /// </summary>
    private static IEnumerable<string> SeedDirectories()
    {
        if (Environment.GetEnvironmentVariable("BROADSHEET_SEED_DIR") is { Length: > 0 } set) yield return Path.GetFullPath(set);
        yield return Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "seed"));
        if (LocalOrigin() is { } origin) yield return Path.GetFullPath(Path.Combine(origin, "..", "shared", "seed"));
    }

    private static string? LocalOrigin()
    {
        try
        {
            using var git = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", "config --get remote.origin.url")
            { WorkingDirectory = RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true })!;
            var url = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return url.Length > 0 && Directory.Exists(url) ? url : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; } // no git on this machine
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
