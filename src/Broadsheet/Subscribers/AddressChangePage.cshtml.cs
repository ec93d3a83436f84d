using Broadsheet.Signup;
using Broadsheet.Site;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Broadsheet.Subscribers;

/// <summary>
/// The page behind the link mailed to a new address. Opening it changes nothing (mail scanners open links); its
/// Confirm button moves the subscriber to the new address.
/// </summary>
public sealed class AddressChangePageModel(AddressChange addressChange, SignupTokens tokens, OwnerProof owner, IOptions<SignupOptions> signupOptions) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "t")]
    public string? Token { get; set; }

    public AddressChangeView View { get; private set; } = new(AddressChangeState.Invalid);
    public SignupTexts Texts => signupOptions.Value.Texts;

    /// <summary>After the change, the reader's page under the new address (old links name the old one).</summary>
    public string? PreferencesUrl { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => View = await addressChange.InspectAsync(Token, ct);

    public async Task OnPostAsync(CancellationToken ct)
    {
        View = await addressChange.ApplyAsync(Token, ct);
        if (View is { State: AddressChangeState.Changed, NewEmail: { } email })
        {
            owner.Add(HttpContext, email); // the link came from the new mailbox
            PreferencesUrl = PublicLinks.PreferencesPath(tokens.ForOwnerLink(email));
        }
    }
}
