using System.Globalization;
using Broadsheet.Bench;

// Usage (bench/run calls these; every run is bounded by --seconds plus --warmup and stops by itself):
//   Broadsheet.Bench raw-postgres  --connection "Host=...;Database=..."
//   Broadsheet.Bench raw-sqlite    --file /path/raw.db
//   Broadsheet.Bench raw-signup-postgres --connection "Host=...;Database=..." [--newsletter morning-briefing]
//   Broadsheet.Bench raw-signup-sqlite   --app-file /path/broadsheet.db --file /path/signup-floor.db [--newsletter morning-briefing]
//   Broadsheet.Bench signups       --url http://127.0.0.1:PORT [--name signups-postgres] [--newsletter morning-briefing]
//                                  [--queue-connection "Host=..." | --queue-file /path/broadsheet.db]  (the app's mail backlog right after the window, as a NOTE line)
//   Broadsheet.Bench mail-backlog  --name signups-postgres --queue-connection "Host=..." | --queue-file /path/broadsheet.db  (that NOTE line alone, after a wrk window)
// Common: --clients 32 --seconds 15 --warmup 3
//   Broadsheet.Bench make-csv      --file rows.csv --rows 1000000 [--prefix reader]
//   Broadsheet.Bench import        --url ... --token ADMIN_TOKEN --file rows.csv --pid APP_PID --name import-postgres [--limit 600]
//   Broadsheet.Bench raw-bulk-sqlite --file raw.db --csv rows.csv
//   Broadsheet.Bench list          --url ... --email E --password P [--requests 200] [--warmup 10]
//   Broadsheet.Bench send          --url ... --token ADMIN_TOKEN --newsletter SLUG --pid APP_PID --name send-plain [--articles 12] [--limit 600]
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: Broadsheet.Bench raw-postgres|raw-sqlite|raw-signup-postgres|raw-signup-sqlite|signups|mail-backlog|make-csv|import|raw-bulk-sqlite|list|send [--option value]...");
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

switch (args[0])
{
    case "make-csv":
        ImportCsv.Write(Option("file"), int.Parse(Option("rows"), CultureInfo.InvariantCulture), Option("prefix", "reader"));
        return 0;
    case "list":
        return await ListPageLoad.RunAsync(new Uri(Option("url")), Option("email"), Option("password"),
            int.Parse(Option("requests", "200"), CultureInfo.InvariantCulture), int.Parse(Option("warmup", "10"), CultureInfo.InvariantCulture));
    case "send":
        var send = await SendRun.RunAsync(Option("name", "send"), new Uri(Option("url")), Option("token"), Option("newsletter"),
            int.Parse(Option("articles", "12"), CultureInfo.InvariantCulture), int.Parse(Option("pid"), CultureInfo.InvariantCulture),
            TimeSpan.FromSeconds(double.Parse(Option("limit", "600"), CultureInfo.InvariantCulture)));
        Console.Error.WriteLine($"{send.Name}: {send.Sent:N0} messages (~{send.MessageBytes / 1024} KB) in {send.Seconds:F1} s = {send.PerSecond:F0}/s, {send.Failed} failed, " +
                                $"app RSS {send.StartKb / 1024} MB before, peak {send.PeakKb / 1024} MB; {send.Status}");
        Console.WriteLine(send.ToLine());
        return 0;
    case "mail-backlog":
        await PrintBacklogAsync(Option("name"));
        return 0;
    case "import" or "raw-bulk-sqlite":
        var import = args[0] == "import"
            ? await ImportRun.RunAsync(Option("name", "import"), new Uri(Option("url")), Option("token"), Option("file"), Option("newsletter", "morning-briefing"),
                int.Parse(Option("pid"), CultureInfo.InvariantCulture), TimeSpan.FromSeconds(double.Parse(Option("limit", "600"), CultureInfo.InvariantCulture)))
            : await RawSqliteBulk.RunAsync(Option("file"), Option("csv"));
        Console.Error.WriteLine($"{import.Name}: {import.Rows:N0} rows in {import.Seconds:F1} s = {import.PerSecond:F0} rows/s, {import.Rejected} rejected, " +
                                $"app RSS {import.StartKb / 1024} MB before, peak {import.PeakKb / 1024} MB; {import.Status}");
        Console.WriteLine(import.ToLine());
        return 0; // an unfinished import is a result too: bench/run prints its status in the table
}

var clients = int.Parse(Option("clients", "32"), CultureInfo.InvariantCulture);
var measure = TimeSpan.FromSeconds(double.Parse(Option("seconds", "15"), CultureInfo.InvariantCulture));
var warmUp = TimeSpan.FromSeconds(double.Parse(Option("warmup", "3"), CultureInfo.InvariantCulture));

var result = args[0] switch
{
    "raw-postgres" => await RawInsert.PostgresAsync(Option("connection"), clients, warmUp, measure),
    "raw-sqlite" => await RawInsert.SqliteAsync(Option("file"), clients, warmUp, measure),
    "raw-signup-postgres" => await RawSignup.PostgresAsync(Option("connection"), Option("newsletter", "morning-briefing"), clients, warmUp, measure),
    "raw-signup-sqlite" => await RawSignup.SqliteAsync(Option("app-file"), Option("file"), Option("newsletter", "morning-briefing"), clients, warmUp, measure),
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
if (args[0] == "signups" && (options.ContainsKey("queue-connection") || options.ContainsKey("queue-file")))
    await PrintBacklogAsync(result.Name);
return result.Errors > 0 && result.Ok == 0 ? 1 : 0;

async Task PrintBacklogAsync(string name)
{
    var (queued, all) = options.ContainsKey("queue-connection")
        ? await MailBacklog.PostgresAsync(Option("queue-connection"))
        : await MailBacklog.SqliteAsync(Option("queue-file"));
    Console.WriteLine($"NOTE\t{name}: mail not yet sent right after the window: {queued:N0} of the {all:N0} messages queued since the app started");
}
