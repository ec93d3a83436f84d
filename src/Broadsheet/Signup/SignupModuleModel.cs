namespace Broadsheet.Signup;

/// <summary>What the sign-up module partial needs to draw itself in one of its states.</summary>
public sealed record SignupModuleModel(
    SignupTexts Texts,
    string Newsletter,
    string ReturnUrl,
    string State = "form",
    string? Email = null,
    string? MoreUrl = null)
{
    /// <summary>Reads the state after a no-JavaScript post from <c>?signup=</c> and the flash cookie.</summary>
    public static SignupModuleModel ForPage(SignupTexts texts, string newsletter, string returnUrl, string? signupQuery, SignupFlashData? flash)
    {
        var model = new SignupModuleModel(texts, newsletter, returnUrl);
        if (signupQuery is null) return model;
        var email = flash?.Email;
        var more = flash?.MoreToken is { } token ? Site.PublicLinks.NewslettersPath(token) : Site.PublicLinks.NewslettersPath();
        return signupQuery switch
        {
            "success" => model with { State = "success", MoreUrl = more },
            "existing" => model with { State = "existing" },
            "failure" => model with { State = "failure", Email = email },
            "invalid" => model with { State = "invalid", Email = email },
            "retry" => model with { Email = email },
            _ => model,
        };
    }
}
