using System.Text.Json.Serialization;

namespace Broadsheet.Import;

/// <summary>What to do with existing subscribers (and repeated rows): leave them as they are, or update them.</summary>
[JsonConverter(typeof(JsonStringEnumConverter))]
public enum DuplicatePolicy { Skip, Update }

/// <summary>How an import job reads its file and what it makes of each row; stored as the job's parameters.</summary>
public sealed record ImportParameters(
    string FileName,
    string FilePath,
    string Newsletter,
    bool Pending,
    DuplicatePolicy Policy,
    char Delimiter,
    string EmailColumn,
    string? NameColumn,
    string Actor,
    DateTime At)
{
    /// <summary>The consent wording every imported subscription records.</summary>
    public string ConsentWording => $"imported from {FileName} by {Actor} at {At:yyyy-MM-dd HH:mm} UTC";
}
