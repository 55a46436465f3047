using System.Globalization;
using System.Text;

namespace DuesPilot.Domain.Matching;

/// <summary>
/// The word lists that name normalisation needs: nicknames, personal titles and suffixes, legal
/// suffixes of organizations and the filler words of remittance memos. Built from plain lines so
/// the domain stays free of I/O; the application reads the shipped lists and hands them in.
/// </summary>
public sealed class NameLexicon
{
    private readonly Dictionary<string, HashSet<string>> nicknameGroups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> reverse = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, long> givenNameCounts;
    private readonly HashSet<string> titles = new(StringComparer.Ordinal);
    private readonly HashSet<string> personalSuffixes = new(StringComparer.Ordinal);
    private readonly HashSet<string> legalSuffixes = new(StringComparer.Ordinal);
    private readonly HashSet<string> memoFiller = new(StringComparer.Ordinal);

    /// <param name="nicknamePairs">(formal name, nickname) pairs, e.g. (robert, bob).</param>
    /// <param name="titleLines">libpostal-style lines <c>doctor|dr|doc</c>.</param>
    /// <param name="suffixLines">lines <c>junior|jr|jnr</c>.</param>
    /// <param name="legalSuffixTerms">legal-form words and phrases (inc, l.l.c., corporation, and co).</param>
    /// <param name="givenNameCounts">How many people bear each given name (e.g. SSA births): a "nickname" as common as the formal name is a name of its own.</param>
    public NameLexicon(IEnumerable<(string Formal, string Nickname)> nicknamePairs, IEnumerable<string> titleLines, IEnumerable<string> suffixLines, IEnumerable<string> legalSuffixTerms, IReadOnlyDictionary<string, long>? givenNameCounts = null)
    {
        this.givenNameCounts = givenNameCounts ?? new Dictionary<string, long>();
        foreach (var (formal, nick) in nicknamePairs)
        {
            var f = NameText.Fold(formal).Replace(" ", "", StringComparison.Ordinal);
            var n = NameText.Fold(nick).Replace(" ", "", StringComparison.Ordinal);
            if (f.Length == 0 || n.Length == 0) continue;
            Group(f).Add(f);
            Group(n).Add(f);
            if (!reverse.TryGetValue(f, out var list)) reverse[f] = list = [];
            list.Add(n);
        }

        foreach (var line in titleLines)
        {
            foreach (var alt in line.Split('|'))
            {
                var tokens = NameText.Tokens(alt);
                // Multi-word titles ("right honorable") are stripped word by word; only the single words matter.
                if (tokens.Count == 1 && tokens[0].Length > 1 && tokens[0] is not ("s" or "sta" or "san" or "king" or "lady" or "major" or "judge" or "dame" or "duke" or "prince" or "queen" or "pope" or "st" or "ste" or "ss")) titles.Add(tokens[0]);
            }
        }

        foreach (var line in suffixLines)
        {
            foreach (var alt in line.Split('|'))
            {
                var tokens = NameText.Tokens(alt);
                if (tokens.Count == 1) personalSuffixes.Add(tokens[0]);
            }
        }

        foreach (var extra in new[] { "ii", "iii", "iv", "md", "phd", "dds", "cpa", "esq", "rn", "pe", "jd", "dvm", "mba" }) personalSuffixes.Add(extra);

        foreach (var term in legalSuffixTerms)
        {
            foreach (var alt in term.Split('|'))
            {
                // "l.l.c." and "llc" are the same word once the dots go.
                var joined = NameText.Fold(alt.Replace(".", "", StringComparison.Ordinal)).Replace(" ", "", StringComparison.Ordinal);
                if (joined.Length >= 2 && joined.All(char.IsLetter)) legalSuffixes.Add(joined);
                foreach (var t in NameText.Tokens(alt.Replace(".", "", StringComparison.Ordinal)))
                {
                    if (t.Length >= 2 && t is not ("and" or "of" or "the" or "national" or "general" or "european" or "public" or "private" or "international" or "professional" or "open" or "single" or "member" or "joint" or "close" or "community" or "development" or "economic" or "bank" or "fund" or "trust" or "union" or "society" or "association" or "service" or "business" or "investment" or "interest")
                        && IsShortLegalWord(t)) legalSuffixes.Add(t);
                }
            }
        }

        foreach (var w in MemoFillerWords) memoFiller.Add(w);
    }

    /// <summary>Words of remittance memos that name no one: "annual dues payment for".</summary>
    public static IReadOnlyList<string> MemoFillerWords { get; } =
    [
        "dues", "due", "membership", "member", "members", "mbr", "renewal", "renew", "annual", "yearly", "payment", "pmt", "pymt", "paymt", "pay", "paid",
        "for", "from", "of", "the", "and", "to", "re", "invoice", "inv", "id", "no", "number", "num", "ref", "reference", "acct", "account",
        "fee", "fees", "balance", "thank", "thanks", "you", "please", "apply", "remit", "remittance", "ach", "check", "chk", "ck", "wire", "transfer",
        "credit", "card", "online", "web", "portal", "year", "fy", "feb", "mar", "apr", "aug", "sep", "sept", "oct", "nov", "dec",
        "chapter", "section", "our", "my", "his", "her", "their", "on", "behalf", "in", "is", "a", "an", "with", "by", "per", "attached", "list", "see",
        "staff", "employees", "employee", "team", "dept", "department", "corporate", "company", "org", "individual", "regular", "student", "retired", "family", "household",
    ];

    private string? contentHash;

    /// <summary>
    /// SHA-256 (hex) of everything the lexicon decides with: nickname groups, given-name counts, titles, suffixes,
    /// legal forms and memo filler, in a fixed order. Part of the matching rule version: a changed list is a changed rule.
    /// </summary>
    public string ContentHash => contentHash ??= ComputeContentHash();

    private string ComputeContentHash()
    {
        var sb = new StringBuilder();
        static void Section(StringBuilder sb, string name, IEnumerable<string> items)
        {
            sb.Append('[').Append(name).Append(']');
            foreach (var item in items.Order(StringComparer.Ordinal)) sb.Append(item).Append('\n');
        }

        Section(sb, "nicknames", nicknameGroups.Select(g => g.Key + "=" + string.Join(',', g.Value.Order(StringComparer.Ordinal))));
        Section(sb, "forms", reverse.Select(g => g.Key + "=" + string.Join(',', g.Value.Order(StringComparer.Ordinal))));
        Section(sb, "given-name-counts", givenNameCounts.Select(g => g.Key + "=" + g.Value.ToString(CultureInfo.InvariantCulture)));
        Section(sb, "titles", titles);
        Section(sb, "personal-suffixes", personalSuffixes);
        Section(sb, "legal-suffixes", legalSuffixes);
        Section(sb, "memo-filler", memoFiller);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>True when the word is a personal title (mr, dr, rev…) that says nothing about who someone is.</summary>
    public bool IsTitle(string token) => titles.Contains(token);

    /// <summary>True for jr, sr, iii, phd…</summary>
    public bool IsPersonalSuffix(string token) => personalSuffixes.Contains(token);

    /// <summary>True for legal-form words (inc, llc, corp, ltd, co, company…).</summary>
    public bool IsLegalSuffix(string token) => legalSuffixes.Contains(token);

    public bool IsMemoFiller(string token) => memoFiller.Contains(token);

    /// <summary>True when the two given names can be the same person's: equal, or related through the nickname list (bob ~ robert ~ rob).</summary>
    public bool AreNicknames(string a, string b)
    {
        if (a == b) return true;
        if (!nicknameGroups.TryGetValue(a, out var ga) || !nicknameGroups.TryGetValue(b, out var gb)) return false;
        return ga.Overlaps(gb);
    }

    /// <summary>
    /// True when <paramref name="nickname"/> is mostly a nickname of <paramref name="formal"/> (bob, liz, bill),
    /// false when it is a common name in its own right (mary for mariah): then it is weaker evidence.
    /// </summary>
    public bool IsMostlyNickname(string nickname, string formal)
    {
        var n = givenNameCounts.GetValueOrDefault(nickname);
        var f = givenNameCounts.GetValueOrDefault(formal);
        return f > 0 && n * 4 < f;
    }

    /// <summary>The first letters a given name can start with once nicknames are undone ("bob" → b, r).</summary>
    public IEnumerable<char> PossibleInitials(string name)
    {
        if (name.Length == 0) yield break;
        yield return name[0];
        if (!nicknameGroups.TryGetValue(name, out var groups)) yield break;
        foreach (var formal in groups) if (formal.Length > 0) yield return formal[0];
        // The formal name's other nicknames ("rob" for "bob") start with letters the formal names cover.
        foreach (var (other, otherGroups) in NicknamesOf(groups)) if (other.Length > 0 && otherGroups) yield return other[0];
    }

    private IEnumerable<(string, bool)> NicknamesOf(HashSet<string> formals)
    {
        foreach (var f in formals)
            if (reverse.TryGetValue(f, out var nicks))
                foreach (var n in nicks) yield return (n, true);
    }

    /// <summary>Name tokens of a person with titles and suffixes removed ("Dr. Robert J. Smith Jr." → robert j smith).</summary>
    public List<string> PersonTokens(string? text)
    {
        var tokens = NameText.Tokens(text);
        var kept = new List<string>(tokens.Count);
        var leading = true;
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            // Titles lead a name ("Dr Robert Smith"); later they are more likely a surname (Bishop, Lord). A leading
            // title word followed by one name only is the given name ("Princess Hayes", "Santa Torp").
            if (leading && IsTitle(t) && tokens.Skip(i + 1).Count(x => !IsPersonalSuffix(x)) >= 2) continue;
            leading = false;
            if (kept.Count > 0 && IsPersonalSuffix(t)) continue;
            kept.Add(t);
        }

        return kept.Count == 0 ? tokens : kept;
    }

    /// <summary>
    /// The distinctive part of an organization's name: accents, punctuation, "the", "&amp;"/"and" and the
    /// legal form removed, words joined. "ACME WIDGETS INC" and "Acme Widgets, Inc." both give "acmewidgets".
    /// </summary>
    public string OrganizationCore(string? name)
    {
        var tokens = JoinInitials(NameText.Tokens(name));
        var kept = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t is "the" or "and") continue;
            // A legal form is only dropped after the first word: "Company Store" keeps its name.
            if (i > 0 && IsLegalSuffix(t)) continue;
            kept.Add(t);
        }

        if (kept.Count == 0) kept = tokens;
        return string.Concat(kept);
    }

    /// <summary>"L.L.C." folds to "l l c": runs of single letters are one abbreviation.</summary>
    private static List<string> JoinInitials(List<string> tokens)
    {
        var joined = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Length == 1 && i + 1 < tokens.Count && tokens[i + 1].Length == 1)
            {
                var run = new System.Text.StringBuilder();
                while (i < tokens.Count && tokens[i].Length == 1) run.Append(tokens[i++]);
                i--;
                joined.Add(run.ToString());
            }
            else
            {
                joined.Add(tokens[i]);
            }
        }

        return joined;
    }

    private HashSet<string> Group(string name)
    {
        if (!nicknameGroups.TryGetValue(name, out var set))
        {
            set = new HashSet<string>(StringComparer.Ordinal);
            nicknameGroups[name] = set;
        }

        return set;
    }

    private static bool IsShortLegalWord(string t) =>
        t.Length <= 5 || t is "incorporated" or "corporation" or "company" or "limited" or "partnership" or "partners" or "associates" or "holdings" or "group";
}

/// <summary>Text folding shared by every name comparison: lower case, no accents, punctuation as spaces.</summary>
public static class NameText
{
    /// <summary>Lower case, accents removed (é → e), apostrophes dropped (O'Brien → obrien), "&amp;" → "and", other punctuation → space.</summary>
    public static string Fold(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var decomposed = text.Normalize(NormalizationForm.FormD);
        // One pass: words of lower-case letters and digits, one space between them, none at either end.
        var sb = foldBuffer ??= new StringBuilder(128);
        sb.Clear();
        var space = false;
        foreach (var c in decomposed)
        {
            var cat = CharUnicodeInfo.GetUnicodeCategory(c);
            if (cat == UnicodeCategory.NonSpacingMark) continue;
            if (c is '\'' or '’' or '`') continue;
            if (c == '&')
            {
                if (sb.Length > 0) sb.Append(' ');
                sb.Append("and");
                space = true;
                continue;
            }

            var lower = char.ToLowerInvariant(c);
            // Decomposition is not available everywhere (invariant globalization), so fold Latin letters by table too.
            if (lower > '\u007f' && Latin.TryGetValue(lower, out var plain))
            {
                if (space && sb.Length > 0) sb.Append(' ');
                sb.Append(plain);
                space = false;
            }
            else if (char.IsLetterOrDigit(lower))
            {
                if (space && sb.Length > 0) sb.Append(' ');
                sb.Append(lower);
                space = false;
            }
            else
            {
                space = true;
            }
        }

        var folded = sb.ToString();
        if (sb.Capacity > 4096) foldBuffer = null;
        return folded;
    }

    [ThreadStatic]
    private static StringBuilder? foldBuffer;

    private static readonly Dictionary<char, string> Latin = BuildLatin();

    private static Dictionary<char, string> BuildLatin()
    {
        var map = new Dictionary<char, string>();
        foreach (var (plain, accented) in new[]
        {
            ("a", "àáâãäåāăą"), ("c", "çćĉċč"), ("d", "ďđð"), ("e", "èéêëēĕėęě"), ("g", "ĝğġģ"), ("h", "ĥħ"), ("i", "ìíîïĩīĭįı"),
            ("j", "ĵ"), ("k", "ķ"), ("l", "ĺļľŀł"), ("n", "ñńņňŉ"), ("o", "òóôõöøōŏő"), ("r", "ŕŗř"), ("s", "śŝşšș"), ("t", "ţťŧț"),
            ("u", "ùúûüũūŭůűų"), ("w", "ŵ"), ("y", "ýÿŷ"), ("z", "źżž"), ("ae", "æ"), ("oe", "œ"), ("ss", "ß"), ("th", "þ"),
        })
        {
            foreach (var ch in accented) map[ch] = plain;
        }

        return map;
    }

    public static List<string> Tokens(string? text) =>
        [.. Fold(text).Split(' ', StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>
    /// American Soundex of a word (letter + three digits), used only as a blocking key so that
    /// "Thompson" finds "Thomson"; similarity itself is scored by the string-similarity library.
    /// </summary>
    public static string Soundex(string word)
    {
        if (string.IsNullOrEmpty(word) || !char.IsLetter(word[0])) return "";
        var sb = new StringBuilder(4);
        sb.Append(char.ToUpperInvariant(word[0]));
        var last = Code(word[0]);
        for (var i = 1; i < word.Length && sb.Length < 4; i++)
        {
            var c = word[i];
            var code = Code(c);
            if (code != '0' && code != last) sb.Append(code);
            if (c is not ('h' or 'w')) last = code;
        }

        return sb.ToString().PadRight(4, '0');

        static char Code(char c) => char.ToLowerInvariant(c) switch
        {
            'b' or 'f' or 'p' or 'v' => '1',
            'c' or 'g' or 'j' or 'k' or 'q' or 's' or 'x' or 'z' => '2',
            'd' or 't' => '3',
            'l' => '4',
            'm' or 'n' => '5',
            'r' => '6',
            _ => '0',
        };
    }
}
