using System.Text;
using System.Text.Encodings.Web;

namespace Broadsheet.Editions;

/// <summary>The per-subscriber values of one message of an edition.</summary>
public sealed record EditionRecipient(string Email, string? Name, string UnsubscribeUrl, string PreferencesUrl);

/// <summary>
/// A rendered edition body with slots for per-subscriber fields. The template is rendered once per edition with a
/// marker in place of each field, and each message only fills the slots: per message it is a string copy, not a
/// template run. Markers are plain ASCII so that CSS inlining and HTML parsing leave them alone.
/// </summary>
public sealed class PersonalFields
{
    /// <summary>Field names as templates see them (<c>subscriber.name</c>, <c>unsubscribe_url</c>, …) and their markers.</summary>
    public static readonly IReadOnlyDictionary<string, string> Markers = new Dictionary<string, string>
    {
        ["name"] = "%%bs:name%%",
        ["email"] = "%%bs:email%%",
        ["unsubscribe_url"] = "%%bs:unsubscribe%%",
        ["preferences_url"] = "%%bs:preferences%%",
    };

    private readonly string[] _literals;
    private readonly string[] _fields;
    private readonly bool _html;
    private readonly int _length;

    public PersonalFields(string rendered, bool html)
    {
        _html = html;
        var literals = new List<string>();
        var fields = new List<string>();
        var at = 0;
        while (true)
        {
            var next = -1;
            string? field = null;
            foreach (var (name, marker) in Markers)
            {
                var i = rendered.IndexOf(marker, at, StringComparison.Ordinal);
                if (i >= 0 && (next < 0 || i < next)) (next, field) = (i, name);
            }
            if (field is null) break;
            literals.Add(rendered[at..next]);
            fields.Add(field);
            at = next + Markers[field].Length;
        }
        literals.Add(rendered[at..]);
        _literals = [.. literals];
        _fields = [.. fields];
        _length = rendered.Length;
    }

    /// <summary>The text between the slots: one more than <see cref="SlotCount"/>, slot <c>i</c> comes after literal <c>i</c>.</summary>
    public IReadOnlyList<string> Literals => _literals;

    public int SlotCount => _fields.Length;

    /// <summary>What slot <paramref name="slot"/> holds for one recipient; HTML-encoded in the HTML part.</summary>
    public string Value(int slot, EditionRecipient r)
    {
        var value = _fields[slot] switch
        {
            "name" => r.Name ?? "",
            "email" => r.Email,
            "unsubscribe_url" => r.UnsubscribeUrl,
            _ => r.PreferencesUrl,
        };
        return _html ? HtmlEncoder.Default.Encode(value) : value;
    }

    /// <summary>The body for one recipient.</summary>
    public string Fill(EditionRecipient r)
    {
        var sb = new StringBuilder(_length + 256);
        for (var i = 0; i < _fields.Length; i++) sb.Append(_literals[i]).Append(Value(i, r));
        sb.Append(_literals[^1]);
        return sb.ToString();
    }
}
