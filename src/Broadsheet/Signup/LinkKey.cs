using Broadsheet.Site;

namespace Broadsheet.Signup;

/// <summary>The site key from which the compact link tokens' keys are derived, created once and shared by every node.</summary>
public sealed class LinkKey(IServiceScopeFactory scopes) : SiteSecret(scopes, "link-token-key");
