using System.Text.Json;
using Broadsheet.Signup;
using Broadsheet.Subscribers;
using Sylvan.Data.Csv;

namespace Broadsheet.Import;

/// <summary>One valid, normalised row of an import file, with its suppression-list hash.</summary>
public sealed record ImportRow(long Line, string Email, string Key, string? Name, string Attributes, string Hash);

/// <summary>A row refused for what its email column holds: its line, that value, and why.</summary>
public sealed record RefusedRow(long Line, string? Value, string Reason);

/// <summary>The next data rows of a file: how many were read, the line of the last one, whether the file ended, and the rows sorted into valid and refused.</summary>
public sealed record ImportBatch(int Read, long LastLine, bool End, List<ImportRow> Rows, List<RefusedRow> Refused);

/// <summary>
/// Reads an import file one batch ahead of the writer: while the job worker writes a batch in its transaction, the
/// next one is parsed, checked, normalised and hashed on the thread pool, so the app's work overlaps the database's
/// instead of adding to it. It starts after <c>cursor</c> data rows (those already committed). At most two batches
/// are in memory, whatever the file size.
/// </summary>
public sealed class ImportReader : IDisposable
{
    private readonly CsvDataReader _csv;
    private readonly int _batchSize;
    private readonly long _cursor;
    private readonly AddressHasher _hasher;
    private readonly int _email;
    private readonly int _name;
    private readonly (int Ordinal, string Name)[] _attributes;
    private readonly Dictionary<string, string> _values = [];
    private readonly CancellationTokenSource _stop = new();
    private Task<ImportBatch>? _ahead;
    private long _line = 1; // the header

    public ImportReader(ImportParameters p, long cursor, int batchSize, AddressHasher hasher)
    {
        _csv = ImportFile.Open(p.FilePath, p.Delimiter);
        _cursor = cursor;
        _batchSize = batchSize;
        _hasher = hasher;
        _email = Ordinal(p.EmailColumn);
        _name = p.NameColumn is null ? -1 : Ordinal(p.NameColumn);
        _attributes = [.. Enumerable.Range(0, _csv.FieldCount).Where(i => i != _email && i != _name).Select(i => (i, _csv.GetName(i).Trim()))];
    }

    /// <summary>The next batch (read ahead, or read now), and starts reading the one after it.</summary>
    public async Task<ImportBatch> NextAsync(CancellationToken ct)
    {
        var current = _ahead ?? Task.Run(Read);
        _ahead = current; // until it is done, Dispose must wait for it
        var batch = await current.WaitAsync(ct);
        _ahead = batch.End ? null : Task.Run(Read);
        return batch;
    }

    /// <summary>The column the inspection chose; it compared trimmed headers ("Name; E-mail ;…"), so this does too.</summary>
    private int Ordinal(string column) =>
        Enumerable.Range(0, _csv.FieldCount).First(i => _csv.GetName(i).Trim().Equals(column, StringComparison.OrdinalIgnoreCase));

    private ImportBatch Read()
    {
        if (_line == 1) while (_line - 1 < _cursor && _csv.Read()) _line++;
        var rows = new List<ImportRow>(_batchSize);
        var refused = new List<RefusedRow>();
        var read = 0;
        var end = false;
        while (read < _batchSize)
        {
            if (read % 1000 == 0) _stop.Token.ThrowIfCancellationRequested();
            if (!_csv.Read()) { end = true; break; }
            _line++;
            read++;
            var raw = _csv.GetString(_email);
            if (!EmailAddressRule.TryNormalize(raw, out var normalized))
            {
                refused.Add(new RefusedRow(_line, raw, string.IsNullOrWhiteSpace(raw) ? "no email address" : "not a valid email address"));
                continue;
            }
            var name = _name >= 0 ? _csv.GetString(_name).Trim() : "";
            if (name.Length > 200) name = name[..200];
            var key = EmailAddressRule.Key(normalized);
            rows.Add(new ImportRow(_line, normalized, key, name.Length == 0 ? null : name, Attributes(), _hasher.Hash(key)));
        }
        return new ImportBatch(read, _line, end, rows, refused);
    }

    /// <summary>Every column but email and name, as a JSON object of strings (a repeated header: its last non-empty value).</summary>
    private string Attributes()
    {
        _values.Clear();
        foreach (var (ordinal, name) in _attributes)
        {
            var value = _csv.GetString(ordinal);
            if (value.Length > 0) _values[name] = value.Length > 1000 ? value[..1000] : value;
        }
        return _values.Count == 0 ? "{}" : JsonSerializer.Serialize(_values);
    }

    /// <summary>Stops a read in progress (it checks every thousand rows), closes the file and ends the hasher, which this reader owns.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try { _ahead?.Wait(); }
        catch (AggregateException) { } // stopped or failed: nobody is waiting for that batch any more
        _csv.Dispose();
        _hasher.Dispose();
        _stop.Dispose();
    }
}
