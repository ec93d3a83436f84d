using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Newsletters;
using Broadsheet.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Admin;

/// <summary>
/// The command line (<see cref="Cli.RunAsync"/>, what <c>dotnet run -- users add …</c> calls) against a SQLite database
/// of its own. Console output is process-wide, so these tests share one non-parallel collection.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CliTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("broadsheet-cli-").FullName;

    private string[] Settings =>
    [
        $"--DataPath={_data}", "--Database:Provider=sqlite", $"--ConnectionStrings:Default=Data Source={Path.Combine(_data, "broadsheet.db")}",
        "--Admin:Token=cli-test-token-0123456789", "--Demo:Seed=false", "--Logging:LogLevel:Default=Warning",
    ];

    [Fact]
    public async Task Users_add_prints_a_generated_password_once_and_it_signs_in()
    {
        var (code, output, _) = await RunAsync("users", "add", "--email", "Owner@Example.com", "--role", "owner");
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains("Added Owner@example.com as Owner.", lines);
        var passwordLine = Assert.Single(lines, l => l.StartsWith("Password (shown only this once): "));
        var password = passwordLine["Password (shown only this once): ".Length..];
        Assert.True(password.Length >= UserAccounts.MinPasswordLength);

        await using var app = await BroadsheetApp.CreateAsync(Settings);
        await using var scope = app.Services.CreateAsyncScope();
        var (result, user) = await scope.ServiceProvider.GetRequiredService<UserAccounts>().SignInAsync("owner@example.com", password, CancellationToken.None);
        Assert.Equal(UserAccounts.SignInResult.Success, result);
        Assert.Equal(AdminRole.Owner, user!.Role);
        Assert.DoesNotContain(password, user.PasswordHash);

        // With --password nothing secret is printed; a second user with the same address is refused.
        (code, output, _) = await RunAsync("users", "add", "--email", "editor@example.com", "--role", "editor", "--password", "a long chosen password");
        Assert.Equal(0, code);
        Assert.DoesNotContain("a long chosen password", output);
        var (again, _, error) = await RunAsync("users", "add", "--email", "owner@example.com", "--role", "viewer");
        Assert.Equal(1, again);
        Assert.Contains("already exists", error);
        (code, output, _) = await RunAsync("users", "list");
        Assert.Contains("editor@example.com\tEditor", output);
        Assert.Contains("Owner@example.com\tOwner", output);
    }

    [Fact]
    public async Task Subscribers_import_draws_progress_and_imports_the_file()
    {
        await using (var app = await BroadsheetApp.CreateAsync(Settings))
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BroadsheetDb>();
            db.Newsletters.Add(new Newsletter { Slug = "cli-news", Name = "CLI News", CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        var file = Path.Combine(_data, "people.csv");
        await File.WriteAllTextAsync(file, "email,name,city\nann@example.com,Ann,Leeds\nnot-an-address,Bob,York\nben@example.com,Ben,Hull\n");

        var (code, output, error) = await RunAsync("subscribers", "import", file, "--newsletter", "cli-news", "--status", "pending");
        Assert.True(code == 0, output + error);
        Assert.Contains("3/3 rows", error);
        Assert.Contains("[########################################]", error);
        Assert.Contains("2 rows accepted, 1 rejected", output);

        await using (var app = await BroadsheetApp.CreateAsync(Settings))
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BroadsheetDb>();
            var subs = await db.Subscriptions.Include(s => s.Subscriber).OrderBy(s => s.Subscriber.Email).ToListAsync();
            Assert.Equal(["ann@example.com", "ben@example.com"], subs.Select(s => s.Subscriber.Email));
            Assert.All(subs, s => Assert.Equal(SubscriptionStatus.Pending, s.Status));
            var consent = await db.Consents.FirstAsync();
            Assert.Matches(@"^imported from people\.csv by command line at \d{4}-\d\d-\d\d \d\d:\d\d UTC$", consent.Wording);
        }

        var (broken, _, why) = await RunAsync("subscribers", "import", file, "--newsletter", "no-such-newsletter");
        Assert.Equal(1, broken);
        Assert.Contains("Nothing imported", why);
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var (oldOut, oldError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var code = await Cli.RunAsync([.. args, .. Settings]);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Tests that redirect the process's console run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliCollection
{
    public const string Name = "cli";
}
