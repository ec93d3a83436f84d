using System.Text;

namespace Broadsheet.Bench;

/// <summary>The generated import file: <c>email,name,city</c> with distinct addresses, the same bytes for every contender.</summary>
public static class ImportCsv
{
    private static readonly string[] Cities = ["Leeds", "Bristol", "Cork", "Lyon", "Porto", "Ghent", "Turin", "Bergen"];

    public static void Write(string path, int rows, string prefix)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        writer.Write("email,name,city\n");
        for (var i = 1; i <= rows; i++)
            writer.Write($"{prefix}{i:D7}@example.com,Reader {i},{Cities[i % Cities.Length]}\n");
    }

    /// <summary>The rows back, for the raw SQLite reference (the file has no quoted fields: it is the one written above).</summary>
    public static IEnumerable<(string Email, string Name, string City)> Read(string path)
    {
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            yield return (f[0], f[1], f[2]);
        }
    }
}
