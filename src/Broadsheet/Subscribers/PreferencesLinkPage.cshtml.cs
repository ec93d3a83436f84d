using Broadsheet.Signup;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Broadsheet.Subscribers;

/// <summary>What the "Email me a new link" form shows: the address typed and why it was refused.</summary>
public sealed record NewLinkForm(string? Email, string? Error);

/// <summary>
/// "Email me a new link" for readers whose preference link has expired. It answers the same whether or not the
/// address subscribes; the per-IP limit of sign-ups applies, and <see cref="PreferencesLinks"/> spaces mail per address.
/// </summary>
[EnableRateLimiting(SignupEndpoints.RateLimitPolicy)]
public sealed class PreferencesLinkPageModel(PreferencesLinks preferencesLinks, IOptions<SignupOptions> signupOptions) : PageModel
{
    public bool Answered { get; private set; }
    public string? Email { get; private set; }
    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task OnPostAsync(string? email, CancellationToken ct)
    {
        if (!EmailAddressRule.TryNormalize(email, out var normalized))
        {
            Email = email;
            Error = signupOptions.Value.Texts.InvalidEmail;
            return;
        }
        await preferencesLinks.SendAsync(normalized, ct);
        Answered = true;
    }
}
