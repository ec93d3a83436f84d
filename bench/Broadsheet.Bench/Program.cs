using System.Globalization;
using Broadsheet.Bench;

// Usage (bench/run calls these; every run is bounded by --seconds plus --warmup and stops by itself):
//   Broadsheet.Bench raw-postgres  --connection "Host=...;Database=..."
//   Broadsheet.Bench raw-sqlite    --file /path/raw.db
//   Broadsheet.Bench signups       --url http://127.0.0.1:PORT [--name signups-postgres] [--newsletter morning-briefing]
// Common: --clients 32 --seconds 15 --warmup 3
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: Broadsheet.Bench raw-postgres|raw-sqlite|signups [--option value]...");
    return 2;
}

var options = new Dictionary<string, string>();
for (var i = 1; i + 1 < args.Length; i += 2)
{
    if (!args[i].StartsWith("--")) { Console.Error.WriteLine($"unexpected argument {args[i]}"); return 2; }
    options[args[i][2..]] = args[i + 1];
}
string Option(string key, string? fallback = null) =>
    options.TryGetValue(key, out var v) ? v : fallback ?? throw new ArgumentException($"--{key} is required");

var clients = int.Parse(Option("clients", "32"), CultureInfo.InvariantCulture);
var measure = TimeSpan.FromSeconds(double.Parse(Option("seconds", "15"), CultureInfo.InvariantCulture));
var warmUp = TimeSpan.FromSeconds(double.Parse(Option("warmup", "3"), CultureInfo.InvariantCulture));

var result = args[0] switch
{
    "raw-postgres" => await RawInsert.PostgresAsync(Option("connection"), clients, warmUp, measure),
    "raw-sqlite" => await RawInsert.SqliteAsync(Option("file"), clients, warmUp, measure),
    "signups" => await SignupLoad.RunAsync(Option("name", "signups"), new Uri(Option("url")), Option("newsletter", "morning-briefing"), clients, warmUp, measure),
    _ => null,
};
if (result is null)
{
    Console.Error.WriteLine($"unknown benchmark {args[0]}");
    return 2;
}

Console.Error.WriteLine($"{result.Name}: {result.PerSecond:F0}/s over {result.Seconds:F0} s with {result.Clients} clients, " +
                        $"p50 {result.P50Ms:F1} ms, p99 {result.P99Ms:F1} ms, {result.Ok} ok, {result.Errors} errors" +
                        (result.FirstError is null ? "" : $" (first: {result.FirstError})"));
Console.WriteLine(result.ToLine());
return result.Errors > 0 && result.Ok == 0 ? 1 : 0;
