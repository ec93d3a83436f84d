using System.Text;
using Sylvan.Data.Csv;

namespace Broadsheet.Import;

/// <summary>A file that cannot be imported at all; the message is for the person who uploaded it.</summary>
public sealed class ImportFileException(string message) : Exception(message);

/// <summary>What a check of the whole file found: how to read it and how many data rows it has.</summary>
public sealed record ImportInspection(char Delimiter, string EmailColumn, string? NameColumn, IReadOnlyList<string> Headers, long Rows);

/// <summary>
/// Reads import files: strict UTF-8 (with or without BOM), delimiter detected from the header, quoted fields with
/// commas and newlines (Sylvan.Data.Csv). <see cref="InspectAsync"/> checks the whole file before anything is
/// imported, so a broken file imports nothing.
/// </summary>
public static class ImportFile
{
    private static readonly string[] EmailNames = ["email", "e-mail", "email address", "e-mail address", "emailaddress", "email_address", "mail"];
    private static readonly string[] NameNames = ["name", "full name", "full_name", "fullname"];
    private static readonly char[] Delimiters = [',', ';', '\t', '|'];

    public static CsvDataReader Open(string path, char delimiter)
    {
        var reader = new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024);
        return CsvDataReader.Create(reader, new CsvDataReaderOptions
        {
            Delimiter = delimiter, HasHeaders = true, OwnsReader = true, MaxBufferSize = 1 << 20,
            HeaderComparer = StringComparer.OrdinalIgnoreCase,
        });
    }

    public static async Task<ImportInspection> InspectAsync(string path, string? emailColumn, string? nameColumn, CancellationToken ct)
    {
        await RefuseBinaryAsync(path, ct);
        var delimiter = DetectDelimiter(path);
        try
        {
            using var csv = Open(path, delimiter);
            var headers = Enumerable.Range(0, csv.FieldCount).Select(i => csv.GetName(i).Trim()).ToList();
            var email = Pick(headers, emailColumn, EmailNames)
                ?? throw new ImportFileException(emailColumn is null
                    ? $"No email column found. The columns are: {string.Join(", ", headers.Select(h => $"“{h}”"))}. Name one “email” or choose it."
                    : $"There is no column “{emailColumn}”.");
            var name = Pick(headers, nameColumn, NameNames);
            long rows = 0;
            while (await csv.ReadAsync(ct)) rows++;
            if (rows == 0) throw new ImportFileException("The file has a header but no rows.");
            return new ImportInspection(delimiter, email, name, headers, rows);
        }
        catch (DecoderFallbackException)
        {
            throw new ImportFileException("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.");
        }
        catch (CsvRecordTooLargeException ex)
        {
            throw new ImportFileException($"Row {ex.RowNumber} is too large: is a quote left open?");
        }
        catch (CsvFormatException ex)
        {
            throw new ImportFileException($"The file is not valid CSV near row {ex.RowNumber}: {ex.Message}");
        }
    }

    private static string? Pick(List<string> headers, string? wanted, string[] candidates) =>
        wanted is not null
            ? headers.FirstOrDefault(h => h.Equals(wanted.Trim(), StringComparison.OrdinalIgnoreCase))
            : headers.FirstOrDefault(h => candidates.Contains(h.Trim().ToLowerInvariant()));

    private static async Task RefuseBinaryAsync(string path, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        await using var stream = File.OpenRead(path);
        if (stream.Length == 0) throw new ImportFileException("The file is empty.");
        int read;
        while ((read = await stream.ReadAsync(buffer, ct)) > 0)
            if (Array.IndexOf(buffer, (byte)0, 0, read) >= 0)
                throw new ImportFileException("This is a binary file, not CSV text (for a spreadsheet, save it as “CSV UTF-8” first).");
    }

    /// <summary>The candidate delimiter that splits the header line most; a header with none is one column.</summary>
    private static char DetectDelimiter(string path)
    {
        using var reader = new StreamReader(path, new UTF8Encoding(false, false), detectEncodingFromByteOrderMarks: true);
        var header = reader.ReadLine() ?? "";
        return Delimiters.Select(d => (d, n: header.Count(c => c == d))).OrderByDescending(x => x.n).First() is { n: > 0 } best ? best.d : ',';
    }
}
