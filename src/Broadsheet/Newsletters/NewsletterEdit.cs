using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Broadsheet.Signup;

namespace Broadsheet.Newsletters;

/// <summary>The editable fields of a newsletter, as the API and the console form send them.</summary>
public sealed partial record NewsletterEdit(
    [property: JsonPropertyName("slug")] string? Slug,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("senderName")] string? SenderName,
    [property: JsonPropertyName("senderEmail")] string? SenderEmail,
    [property: JsonPropertyName("replyTo")] string? ReplyTo,
    [property: JsonPropertyName("doubleOptIn")] bool? DoubleOptIn,
    [property: JsonPropertyName("isPublic")] bool? IsPublic,
    [property: JsonPropertyName("isArchived")] bool? IsArchived,
    [property: JsonPropertyName("suggested")] List<string>? Suggested,
    [property: JsonPropertyName("schedule")] ScheduleEdit? Schedule = null,
    [property: JsonPropertyName("templateId")] int? TemplateId = null)
{
    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")]
    private static partial Regex SlugPattern();

    /// <summary>
    /// Field errors keyed by JSON name; <paramref name="creating"/> makes slug and name required, and a schedule is
    /// checked together with the <paramref name="current"/> values it leaves as they are.
    /// </summary>
    public Dictionary<string, string[]> Validate(bool creating, Newsletter? current = null)
    {
        var errors = new Dictionary<string, string[]>();
        if (creating || Slug is not null)
            if (Slug is null || !SlugPattern().IsMatch(Slug)) errors["slug"] = ["Lower-case letters, digits and hyphens, up to 100 characters."];
        if (creating || Name is not null)
            if (string.IsNullOrWhiteSpace(Name) || Name.Length > 200) errors["name"] = ["A name of up to 200 characters is required."];
        if (Description is { Length: > 2000 }) errors["description"] = ["At most 2000 characters."];
        if (SenderName is { Length: > 200 }) errors["senderName"] = ["At most 200 characters."];
        if (!string.IsNullOrEmpty(SenderEmail) && !EmailAddressRule.TryNormalize(SenderEmail, out _)) errors["senderEmail"] = ["Not a valid email address."];
        if (!string.IsNullOrEmpty(ReplyTo) && !EmailAddressRule.TryNormalize(ReplyTo, out _)) errors["replyTo"] = ["Not a valid email address."];
        if (Suggested is { Count: > 20 }) errors["suggested"] = ["At most 20 suggestions."];
        if (TemplateId is < 0) errors["templateId"] = ["A template id, or 0 for the built-in template."];
        Schedule?.Validate(current, errors);
        return errors;
    }

    /// <summary>Copies the given fields onto <paramref name="n"/>; fields left null keep their value.</summary>
    public void ApplyTo(Newsletter n)
    {
        if (Slug is not null) n.Slug = Slug;
        if (Name is not null) n.Name = Name.Trim();
        if (Description is not null) n.Description = Description.Trim();
        if (SenderName is not null) n.SenderName = SenderName.Trim();
        if (SenderEmail is not null) n.SenderEmail = EmailAddressRule.TryNormalize(SenderEmail, out var s) ? s : "";
        if (ReplyTo is not null) n.ReplyTo = EmailAddressRule.TryNormalize(ReplyTo, out var r) ? r : "";
        if (DoubleOptIn is bool d) n.DoubleOptIn = d;
        if (IsPublic is bool p) n.IsPublic = p;
        if (IsArchived is bool a) n.IsArchived = a;
        if (Suggested is not null) n.Suggested = [.. Suggested.Where(x => x != n.Slug).Distinct()];
        if (TemplateId is int template) n.TemplateId = template == 0 ? null : template;
        Schedule?.ApplyTo(n, DateTime.UtcNow);
    }
}

/// <summary>A newsletter as the API returns it.</summary>
public sealed record NewsletterResponse(
    [property: JsonPropertyName("slug")] string Slug,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("senderName")] string SenderName,
    [property: JsonPropertyName("senderEmail")] string SenderEmail,
    [property: JsonPropertyName("replyTo")] string ReplyTo,
    [property: JsonPropertyName("doubleOptIn")] bool DoubleOptIn,
    [property: JsonPropertyName("isPublic")] bool IsPublic,
    [property: JsonPropertyName("isArchived")] bool IsArchived,
    [property: JsonPropertyName("suggested")] List<string> Suggested,
    [property: JsonPropertyName("schedule")] ScheduleResponse Schedule,
    [property: JsonPropertyName("templateId")] int? TemplateId)
{
    public static NewsletterResponse From(Newsletter n) =>
        new(n.Slug, n.Name, n.Description, n.SenderName, n.SenderEmail, n.ReplyTo, n.DoubleOptIn, n.IsPublic, n.IsArchived, n.Suggested,
            ScheduleResponse.From(n), n.TemplateId);
}
