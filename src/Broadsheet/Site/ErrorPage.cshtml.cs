using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Broadsheet.Site;

/// <summary>The friendly page for errors and unknown addresses; never shows exception details.</summary>
[IgnoreAntiforgeryToken]
public sealed class ErrorPageModel : PageModel
{
    public int Status { get; private set; }

    public void OnGet([FromQuery] int? status) => Status = status ?? 500;
    public void OnPost([FromQuery] int? status) => Status = status ?? 500;
}
