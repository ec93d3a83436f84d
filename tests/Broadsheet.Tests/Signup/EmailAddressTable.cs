using System.Globalization;
using System.Text;

namespace Broadsheet.Tests.Signup;

/// <summary>One row of email-addresses.tsv: the raw input, the normalised address or null for invalid, and why.</summary>
public sealed record EmailAddressCase(int Line, string Input, string? Expected, string Reason)
{
    public override string ToString() => $"line {Line}: {Reason}";
}

/// <summary>Reads email-addresses.tsv; the escapes it uses are described at the top of that file.</summary>
public static class EmailAddressTable
{
    public const string Invalid = "INVALID";

    public static IReadOnlyList<EmailAddressCase> Cases { get; } = Load(Path.Combine(AppContext.BaseDirectory, "Signup", "email-addresses.tsv"));

    /// <summary>The rows as xUnit theory data, by line number so the test names stay short and ASCII.</summary>
    public static TheoryData<int> Lines => [.. Cases.Select(c => c.Line)];

    public static EmailAddressCase At(int line) => Cases.Single(c => c.Line == line);

    private static List<EmailAddressCase> Load(string path)
    {
        var cases = new List<EmailAddressCase>();
        var lines = File.ReadAllLines(path, Encoding.UTF8);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0 || lines[i].StartsWith('#')) continue;
            var cells = lines[i].Split('\t');
            if (cells.Length != 3) throw new FormatException($"email-addresses.tsv line {i + 1}: expected 3 tab-separated cells, found {cells.Length}");
            cases.Add(new(i + 1, Unescape(cells[0]), cells[1] == Invalid ? null : Unescape(cells[1]), cells[2]));
        }
        return cases;
    }

    /// <summary>\s space, \t \r \n \v \f \0, \\ backslash, \uXXXX one UTF-16 unit, \u{X…} a code point, \R{N:text} text N times.</summary>
    public static string Unescape(string cell)
    {
        var text = new StringBuilder();
        for (var i = 0; i < cell.Length; i++)
        {
            if (cell[i] != '\\') { text.Append(cell[i]); continue; }
            var code = cell[++i];
            switch (code)
            {
                case 's': text.Append(' '); break;
                case 't': text.Append('\t'); break;
                case 'r': text.Append('\r'); break;
                case 'n': text.Append('\n'); break;
                case 'v': text.Append('\v'); break;
                case 'f': text.Append('\f'); break;
                case '0': text.Append('\0'); break;
                case '\\': text.Append('\\'); break;
                case 'u' when cell[i + 1] == '{':
                    var end = cell.IndexOf('}', i);
                    text.Append(char.ConvertFromUtf32(int.Parse(cell[(i + 2)..end], NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
                    i = end;
                    break;
                case 'u':
                    text.Append((char)int.Parse(cell.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                case 'R':
                    var close = cell.IndexOf('}', i);
                    var colon = cell.IndexOf(':', i);
                    var repeated = Unescape(cell[(colon + 1)..close]);
                    text.Insert(text.Length, repeated, int.Parse(cell[(i + 2)..colon], CultureInfo.InvariantCulture));
                    i = close;
                    break;
                default: throw new FormatException($"Unknown escape \\{code} in email-addresses.tsv: {cell}");
            }
        }
        return text.ToString();
    }
}
