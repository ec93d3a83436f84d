namespace Broadsheet.Signup;

/// <summary>The words of the sign-up module, state by state. The defaults are the publisher's own and are part of the contract.</summary>
public sealed class SignupTexts
{
    public string Heading { get; set; } = "Keep updated: Sign up to our newsletter";
    public string EmailLabel { get; set; } = "Email*";
    public string InvalidEmail { get; set; } = "Please enter a valid email address";
    public string Submit { get; set; } = "Sign up";
    public string Wait { get; set; } = "Please wait…";
    public string SuccessTitle { get; set; } = "Thank you for signing up.";
    public string SuccessMore { get; set; } = "We’ve got more newsletters we think you’ll find interesting.";
    public string SuccessLink { get; set; } = "Click here";
    public string FailureTitle { get; set; } = "Oops. Something went wrong.";
    public string FailureMore { get; set; } = "Please try again later.";
    public string FailureRetry { get; set; } = "Try again";
    public string ExistingTitle { get; set; } = "Thank you,";
    public string ExistingMore { get; set; } = "The email address you have provided is already registered.";
    public string ExistingClose { get; set; } = "Close";

    /// <summary>What the consent record stores as the wording the reader agreed to.</summary>
    public string ConsentWording => $"{Heading} [{Submit}]";
}
