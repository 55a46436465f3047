using System.Net;
using Microsoft.AspNetCore.Html;

namespace DuesPilot.Web;

/// <summary>
/// Internal keys (payment ids such as <c>csv:sha256:7064c0…:L3</c>, item ids) in a page: shortened on screen
/// by CSS, the whole key in the tooltip and in what a person copies. Never a page's or row's headline.
/// </summary>
public static class KeyTag
{
    public static IHtmlContent For(string? key) =>
        key is null ? HtmlString.Empty : new HtmlString($"<code class=\"key\" title=\"{WebUtility.HtmlEncode(key)}\">{WebUtility.HtmlEncode(key)}</code>");
}
