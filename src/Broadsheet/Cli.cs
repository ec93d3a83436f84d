using Broadsheet.Admin;
using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet;

/// <summary>
/// Command-line verbs run by the same binary (like listmonk's): <c>users add --email E --role owner [--password P]</c>,
/// <c>users list</c> and <c>subscribers import FILE.csv --newsletter SLUG</c>. Settings (DataPath, database) are read as for the server.
/// </summary>
public static class Cli
{
    public static bool IsCommand(string[] args) => args is ["users", ..] or ["subscribers", ..];

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options(args);
        await using var app = await BroadsheetApp.CreateAsync(args);
        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        try
        {
            switch (args)
            {
                case ["users", "add", ..]:
                    if (!options.TryGetValue("email", out var email)) return Usage("users add needs --email");
                    if (!Enum.TryParse<AdminRole>(options.GetValueOrDefault("role", "viewer"), ignoreCase: true, out var role)) return Usage("--role is owner, editor or viewer");
                    var (user, password) = await services.GetRequiredService<UserAccounts>()
                        .CreateAsync(email, role, options.GetValueOrDefault("password"), "command line", CancellationToken.None);
                    Console.WriteLine($"Added {user.Email} as {user.Role}.");
                    if (!options.ContainsKey("password")) Console.WriteLine($"Password (shown only this once): {password}");
                    return 0;
                case ["users", "list", ..]:
                    var db = services.GetRequiredService<BroadsheetDb>();
                    foreach (var u in db.AdminUsers.OrderBy(u => u.Email)) Console.WriteLine($"{u.Email}\t{u.Role}");
                    return 0;
                case ["subscribers", "import", var file, ..] when !file.StartsWith("--"):
                    if (!options.TryGetValue("newsletter", out var newsletter)) return Usage("subscribers import needs --newsletter");
                    return await ImportAsync(services, file, newsletter, options);
                default:
                    return Usage($"unknown command: {string.Join(' ', args.TakeWhile(a => !a.StartsWith("--")))}");
            }
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 1;
        }
    }

    /// <summary>Runs an import in this process, drawing a progress bar; Ctrl+C cancels it (rows already committed stay).</summary>
    private static async Task<int> ImportAsync(IServiceProvider services, string file, string newsletter, Dictionary<string, string> options)
    {
        if (!File.Exists(file)) return Usage($"no such file: {file}");
        Jobs.Job job;
        try
        {
            await using var stream = File.OpenRead(file);
            job = await services.GetRequiredService<Import.ImportJobs>().StartAsync(stream, new Import.ImportRequest(
                Path.GetFileName(file), newsletter, options.GetValueOrDefault("status") == "pending",
                options.GetValueOrDefault("policy") == "update" ? Import.DuplicatePolicy.Update : Import.DuplicatePolicy.Skip,
                options.GetValueOrDefault("email-column"), options.GetValueOrDefault("name-column")), "command line", CancellationToken.None);
        }
        catch (Import.ImportFileException ex)
        {
            Console.Error.WriteLine($"Nothing imported: {ex.Message}");
            return 1;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            using var scope = services.CreateScope();
            scope.ServiceProvider.GetRequiredService<BroadsheetDb>().Jobs.Where(j => j.Id == job.Id)
                .ExecuteUpdate(s => s.SetProperty(j => j.CancelRequested, true));
        };
        var run = services.GetRequiredService<Jobs.JobWorker>().RunOneAsync(cancel.Token, job.Id);
        while (true)
        {
            var finished = await Task.WhenAny(run, Task.Delay(500)) == run;
            using var scope = services.CreateScope();
            var now = await scope.ServiceProvider.GetRequiredService<BroadsheetDb>().Jobs.AsNoTracking().FirstAsync(j => j.Id == job.Id);
            var width = 40;
            var filled = now.Total == 0 ? width : (int)(width * Math.Min(1, (double)now.Processed / now.Total));
            Console.Error.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {now.Processed:N0}/{now.Total:N0} rows, {now.Failed:N0} rejected ");
            if (!finished) continue;
            await run;
            Console.Error.WriteLine();
            Console.WriteLine($"Import #{now.Id}: {now.Status.ToString().ToLowerInvariant()}; {now.Processed - now.Failed:N0} rows accepted, {now.Failed:N0} rejected.{(now.Error is null ? "" : " " + now.Error)}");
            if (now.Failed > 0) Console.WriteLine($"Rejected rows: GET /api/imports/{now.Id}/report");
            return now.Status == Jobs.JobStatus.Done ? 0 : 1;
        }
    }

    /// <summary>Reads <c>--name value</c> and <c>--name=value</c> pairs.</summary>
    private static Dictionary<string, string> Options(string[] args)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--")) continue;
            var name = args[i][2..];
            var eq = name.IndexOf('=');
            if (eq >= 0) result[name[..eq]] = name[(eq + 1)..];
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--")) result[name] = args[++i];
        }
        return result;
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine(problem);
        Console.Error.WriteLine("usage: Broadsheet users add --email EMAIL --role owner|editor|viewer [--password PASSWORD]");
        Console.Error.WriteLine("       Broadsheet users list");
        Console.Error.WriteLine("       Broadsheet subscribers import FILE.csv --newsletter SLUG [--status active|pending] [--policy skip|update] [--email-column NAME] [--name-column NAME]");
        return 2;
    }
}
