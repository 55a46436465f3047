using System.Globalization;
using System.Text;
using DuesPilot.Domain.Matching;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DuesPilot.Domain.Tests;

/// <summary>
/// <see cref="NameText.Fold"/> is written in one pass for speed (the matcher folds every payer name and memo); it must
/// fold exactly as the plain statement of the rule does: decompose, drop accents and apostrophes, '&amp;' is "and",
/// lower-case letters and digits kept (Latin letters also by table), anything else separates words, and words are
/// joined by single spaces with none at either end.
/// </summary>
public sealed class NameTextFoldTests
{
    /// <summary>The Latin letters folded by table (normalization does nothing under invariant globalization), as the rule lists them.</summary>
    private static readonly Dictionary<char, string> Latin = new[]
    {
        ("a", "àáâãäåāăą"), ("c", "çćĉċč"), ("d", "ďđð"), ("e", "èéêëēĕėęě"), ("g", "ĝğġģ"), ("h", "ĥħ"), ("i", "ìíîïĩīĭįı"),
        ("j", "ĵ"), ("k", "ķ"), ("l", "ĺļľŀł"), ("n", "ñńņňŉ"), ("o", "òóôõöøōŏő"), ("r", "ŕŗř"), ("s", "śŝşšș"), ("t", "ţťŧț"),
        ("u", "ùúûüũūŭůűų"), ("w", "ŵ"), ("y", "ýÿŷ"), ("z", "źżž"), ("ae", "æ"), ("oe", "œ"), ("ss", "ß"), ("th", "þ"),
    }.SelectMany(p => p.Item2.Select(c => (c, p.Item1))).ToDictionary(x => x.c, x => x.Item2);

    /// <summary>The rule as stated, with split-and-join for the spacing (the shape the fast version replaced).</summary>
    private static string AsStated(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var sb = new StringBuilder();
        foreach (var c in text.Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            if (c is '\'' or '’' or '`') continue;
            if (c == '&') { sb.Append(" and "); continue; }
            var lower = char.ToLowerInvariant(c);
            if (lower > '\u007f' && Latin.TryGetValue(lower, out var plain)) sb.Append(plain);
            else if (char.IsLetterOrDigit(lower)) sb.Append(lower);
            else sb.Append(' ');
        }

        return string.Join(' ', sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("  O'Brien &  Sons, L.L.C. ", "obrien and sons l l c")]
    [InlineData("&&", "and and")]
    [InlineData("José  Núñez-García", "jose nunez garcia")]
    [InlineData("Straße Æsir Łódź", "strasse aesir lodz")]
    [InlineData("\t\n", "")]
    [InlineData("Dues #631981 / 2025", "dues 631981 2025")]
    public void Fold_Examples(string text, string expected) => Assert.Equal(expected, NameText.Fold(text));

    /// <summary>Strings drawn from the characters that take each branch: letters, accents, marks, apostrophes, '&amp;', digits, separators.</summary>
    [Property(MaxTest = 2000)]
    public Property Fold_AnyMixOfTrickyCharacters_SameAsTheRuleAsStated() =>
        Prop.ForAll(
            Gen.ArrayOf(Gen.Elements("aZ9 \t&'’`-.,#éÉßæŒþłØđıñ\u0301\u0308\u00a0\u2003Ж中".ToCharArray())).Select(cs => new string(cs)).ToArbitrary(),
            text => NameText.Fold(text) == AsStated(text));

    [Property(MaxTest = 500)]
    public bool Fold_AnyString_SameAsTheRuleAsStated(string? text) => NameText.Fold(text) == AsStated(text);
}
