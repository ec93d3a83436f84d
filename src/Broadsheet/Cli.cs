using Broadsheet.Admin;
using Broadsheet.Data;

namespace Broadsheet;

/// <summary>
/// Command-line verbs run by the same binary (like listmonk's): <c>users add --email E --role owner [--password P]</c>
/// and <c>users list</c>. Settings (DataPath, database) are read as for the server.
/// </summary>
public static class Cli
{
    public static bool IsCommand(string[] args) => args is ["users", ..];

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
        return 2;
    }
}
