namespace Broadsheet.Editions;

/// <summary>What an editor (console form or API) gives to create or change an edition.</summary>
public sealed record EditionInput(
    string? Subject, string? Preheader = null, string? Intro = null, List<int>? ArticleIds = null, bool Digest = false, int? SegmentId = null);
