using System.Security.Claims;
using DuesPilot.Features.Review;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DuesPilot.Web;

/// <summary>Optional OpenID Connect sign-in (e.g. Entra ID, Okta) instead of local accounts.</summary>
public sealed class OidcOptions
{
    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    /// <summary>The claim that carries the staff roles (reviewer, approver, administrator, auditor).</summary>
    public string RoleClaim { get; set; } = "roles";
    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) && !string.IsNullOrWhiteSpace(ClientId);
}

/// <summary>Configuration section <c>Staff</c>.</summary>
public sealed class StaffUiOptions
{
    public OidcOptions Oidc { get; set; } = new();
    /// <summary>Sign-in lifetime, sliding.</summary>
    public double SessionHours { get; set; } = 8;

    /// <summary>Sign-in limits (<c>Staff:SignIn</c>).</summary>
    public SignInLimits SignIn { get; set; } = new();

    /// <summary>The first administrator's password when there is no staff account yet; empty: a random one, printed once.</summary>
    public string? InitialAdminPassword { get; set; }
}

/// <summary>Wires the staff UI into a host: cookie (or OIDC) sign-in, role policies, Razor Pages.</summary>
public static class StaffUi
{
    /// <summary>Anyone signed in with a staff role may read.</summary>
    public const string ReadPolicy = "staff";
    /// <summary>Reviewers, approvers and administrators may change things; auditors may not.</summary>
    public const string ResolvePolicy = "resolve";

    public static IServiceCollection AddStaffUi(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new StaffUiOptions();
        Hosting.Settings.Bind(configuration, "Staff", options);
        services.AddSingleton(options);
        services.AddSingleton<StaffAccounts>();
        services.AddSingleton(options.SignIn);
        services.AddSingleton<SignInThrottle>();
        var auth = services.AddAuthentication(o =>
        {
            o.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            if (options.Oidc.Enabled) o.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
        }).AddCookie(o =>
        {
            o.LoginPath = "/Account/Login";
            o.LogoutPath = "/Account/Logout";
            o.AccessDeniedPath = "/Account/Denied";
            o.Cookie.Name = "duespilot.staff";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromHours(options.SessionHours);
            // API callers get status codes, people get the sign-in page.
            o.Events.OnRedirectToLogin = ctx => RedirectOrStatus(ctx, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = ctx => RedirectOrStatus(ctx, StatusCodes.Status403Forbidden);
        });
        if (options.Oidc.Enabled)
        {
            auth.AddOpenIdConnect(o =>
            {
                o.Authority = options.Oidc.Authority;
                o.ClientId = options.Oidc.ClientId;
                o.ClientSecret = options.Oidc.ClientSecret;
                o.ResponseType = "code";
                o.SaveTokens = false;
                o.TokenValidationParameters.RoleClaimType = options.Oidc.RoleClaim;
            });
        }

        services.AddAuthorizationBuilder()
            .AddPolicy(ReadPolicy, p => p.RequireRole(StaffRoles.All))
            .AddPolicy(ResolvePolicy, p => p.RequireRole(StaffRoles.Reviewer, StaffRoles.Approver, StaffRoles.Administrator));
        services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/", ReadPolicy);
            o.Conventions.AllowAnonymousToFolder("/Account");
        }).AddApplicationPart(typeof(StaffUi).Assembly); // found whatever the entry assembly is (CLI, service, tests)
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "duespilot.csrf";
            o.HeaderName = CrossSiteGuard.TokenHeader;
        });
        // Cookie and antiforgery keys live in the store: every instance on one database shares them.
        services.AddDataProtection().SetApplicationName("DuesPilot");
        // Master keys are wrapped with a key-encryption key from configuration (or the data folder's secrets), never stored in plaintext.
        var kek = KeyEncryptionKey.FromConfiguration(configuration);
        services.AddSingleton(kek);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o =>
            {
                o.XmlRepository = new StoreXmlRepository(sp.GetRequiredService<DuesPilot.Persistence.Store>(), kek);
                o.XmlEncryptor = new KeyEncryptionXmlEncryptor(kek);
            }));
        return services;
    }

    public static WebApplication MapStaffUi(this WebApplication app)
    {
        app.UseFrameProtection();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseCrossSiteGuard();
        app.MapRazorPages();
        return app;
    }

    /// <summary>The signed-in staff member as the review handlers see them.</summary>
    public static StaffActor ToActor(this ClaimsPrincipal user) =>
        new(user.Identity?.Name ?? "unknown", user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToHashSet(StringComparer.Ordinal));

    private static Task RedirectOrStatus(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        if (ctx.Request.Path.StartsWithSegments("/api"))
        {
            ctx.Response.StatusCode = status;
            return Task.CompletedTask;
        }

        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }
}
