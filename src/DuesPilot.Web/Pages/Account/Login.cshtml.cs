using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DuesPilot.Web.Pages.Account;

public sealed class LoginModel(StaffAccounts accounts, SignInThrottle throttle) : PageModel
{
    [BindProperty]
    public string? UserName { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var user = (UserName ?? "").Trim();
        var address = HttpContext.Connection.RemoteIpAddress?.ToString();
        if (await throttle.IsLockedAsync(user, address, ct))
        {
            // Refused before the password is checked, so a locked account cannot be probed further.
            Error = "Too many wrong passwords: sign-in is locked for a while. Try again later or ask an administrator.";
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return Page();
        }

        var account = user.Length == 0 || string.IsNullOrEmpty(Password) ? null : await accounts.VerifyAsync(user, Password, ct);
        if (account is null)
        {
            if (user.Length > 0) await throttle.FailedAsync(user, address, ct);
            Error = "The user name or password is not right.";
            return Page();
        }

        await throttle.SucceededAsync(user, ct);

        var claims = new List<Claim> { new(ClaimTypes.Name, account.UserName), new("display_name", account.DisplayName) };
        claims.AddRange(account.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme)));
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/Review");
    }
}
