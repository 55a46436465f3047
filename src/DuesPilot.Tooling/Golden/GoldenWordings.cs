using System.Globalization;

namespace DuesPilot.Tooling.Golden;

/// <summary>
/// How payers write things, as the golden-set generator phrases them. Written for the generator
/// alone: the matching engine never reads these lists, and they were not copied from its tables.
/// </summary>
public static class GoldenWordings
{
    /// <summary>
    /// Given name → what friends call them. Written by hand from common English usage; several are
    /// deliberately unusual (Sasha, Kit, Polly, Daisy, Nell) so the engine meets names it was not told about.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> Nicknames = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
    {
        ["Alexander"] = ["Sasha", "Xander", "Al"], ["Alexandra"] = ["Sasha", "Lexi", "Sandy"], ["Alexandria"] = ["Lexi"],
        ["Anthony"] = ["Tony", "Ant"], ["Barbara"] = ["Babs", "Barb"], ["Benjamin"] = ["Benji", "Ben"], ["Catherine"] = ["Kit", "Cathy", "Cat"],
        ["Katherine"] = ["Kit", "Kate", "Kathy"], ["Kathryn"] = ["Katie", "Kay"], ["Christopher"] = ["Kit", "Topher", "Chris"],
        ["Christina"] = ["Tina", "Chrissy"], ["Cornelius"] = ["Neil", "Corky"], ["Daniel"] = ["Danny", "Dan"], ["Deborah"] = ["Debbie", "Deb"],
        ["Dorothy"] = ["Dot", "Dottie"], ["Edward"] = ["Ned", "Teddy", "Ed"], ["Eleanor"] = ["Nell", "Ellie"], ["Elizabeth"] = ["Libby", "Bess", "Liz"],
        ["Frances"] = ["Fran", "Frankie"], ["Francesca"] = ["Frankie", "Chesca"], ["Gabriel"] = ["Gabe"], ["Gabrielle"] = ["Gabby", "Brie"],
        ["Gregory"] = ["Greg"], ["Harold"] = ["Hal", "Harry"], ["Henry"] = ["Hank", "Hal"], ["Isabella"] = ["Izzy", "Bella"], ["Isabelle"] = ["Izzy"],
        ["Jacqueline"] = ["Jackie", "Jacqui"], ["James"] = ["Jamie", "Jim"], ["Jennifer"] = ["Jenny", "Jen"], ["John"] = ["Jack", "Johnny"],
        ["Jonathan"] = ["Jon", "Jonny"], ["Joseph"] = ["Joe", "Joey"], ["Josephine"] = ["Josie", "Jo"], ["Kenneth"] = ["Kenny", "Ken"],
        ["Lawrence"] = ["Larry"], ["Leonard"] = ["Lenny", "Leo"], ["Madeline"] = ["Maddie"], ["Margaret"] = ["Daisy", "Peggy", "Maggie"],
        ["Mary"] = ["Polly", "Molly", "Mae"], ["Matthew"] = ["Matt"], ["Maximilian"] = ["Max"], ["Maxwell"] = ["Max"], ["Michael"] = ["Mike", "Mickey"],
        ["Nicholas"] = ["Nick", "Nico"], ["Patricia"] = ["Patty", "Trish", "Tricia"], ["Patrick"] = ["Paddy", "Pat"], ["Penelope"] = ["Penny"],
        ["Rebecca"] = ["Becky", "Becca"], ["Richard"] = ["Rich", "Dick", "Rick"], ["Robert"] = ["Bob", "Rob", "Bobby"], ["Ronald"] = ["Ron", "Ronnie"],
        ["Samantha"] = ["Sam", "Sammie"], ["Samuel"] = ["Sam", "Sammy"], ["Stephanie"] = ["Steph"], ["Stephen"] = ["Steve"], ["Steven"] = ["Steve"],
        ["Susan"] = ["Sue", "Suzy"], ["Theodore"] = ["Teddy", "Theo"], ["Thomas"] = ["Tom", "Tommy"], ["Timothy"] = ["Tim"], ["Victoria"] = ["Tori", "Vicky"],
        ["Vincent"] = ["Vince", "Vinny"], ["William"] = ["Bill", "Will", "Liam"], ["Zachary"] = ["Zach", "Zack"], ["Abigail"] = ["Abby"],
        ["Adrian"] = ["Ade"], ["Allison"] = ["Allie"], ["Amanda"] = ["Mandy"], ["Andrew"] = ["Drew", "Andy"], ["Arthur"] = ["Art"],
        ["Beatrice"] = ["Bea", "Trixie"], ["Bernard"] = ["Bernie"], ["Caroline"] = ["Carrie"], ["Cassandra"] = ["Cassie"], ["Charles"] = ["Chuck", "Chip"],
        ["Charlotte"] = ["Lottie", "Charlie"], ["Cynthia"] = ["Cindy"], ["Donald"] = ["Donnie"], ["Douglas"] = ["Doug"], ["Eugene"] = ["Gene"],
        ["Evelyn"] = ["Evie"], ["Florence"] = ["Flo"], ["Frederick"] = ["Fred", "Freddie"], ["Geoffrey"] = ["Geoff"], ["Gerald"] = ["Gerry"],
        ["Harriet"] = ["Hattie"], ["Jeffrey"] = ["Jeff"], ["Jessica"] = ["Jess"], ["Joshua"] = ["Josh"], ["Leonardo"] = ["Leo"], ["Lillian"] = ["Lily"],
        ["Louise"] = ["Lou"], ["Lucille"] = ["Lucy"], ["Mathilda"] = ["Tilly"], ["Melissa"] = ["Missy"], ["Mitchell"] = ["Mitch"], ["Nathaniel"] = ["Nate"],
        ["Oliver"] = ["Ollie"], ["Pamela"] = ["Pam"], ["Philip"] = ["Pip", "Phil"], ["Raymond"] = ["Ray"], ["Rosalind"] = ["Roz"], ["Russell"] = ["Russ"],
        ["Sebastian"] = ["Seb"], ["Sylvester"] = ["Sly"], ["Tabitha"] = ["Tabby"], ["Valentina"] = ["Val"], ["Wilfred"] = ["Wilf", "Fred"],
    };

    public static readonly string[] MailDomains = ["gmail.com", "hotmail.com", "proton.me", "fastmail.com", "me.com", "verizon.net", "att.net", "hey.com"];

    /// <summary>A nickname for the given name, or null when none is listed.</summary>
    public static string? NicknameOf(string first) => Nicknames.TryGetValue(first, out var n) ? n[first.Length % n.Length] : null;

    public static string InvoiceMemo(Random rng, IReadOnlyList<string> invoices)
    {
        var list = string.Join(rng.Next(2) == 0 ? ", " : " & ", invoices);
        return rng.Next(9) switch
        {
            0 => $"Invoice {list}",
            1 => $"inv. no. {list}",
            2 => $"re: {list}",
            3 => $"Inv#{list}",
            4 => $"Payment for invoice number {list}",
            5 => $"{list} renewal",
            6 => $"bill {list}",
            7 => $"INVOICE NO {list} MEMBERSHIP",
            _ => list,
        };
    }

    public static string MemberMemo(Random rng, string memberId) => rng.Next(8) switch
    {
        0 => $"Member #{memberId}",
        1 => $"member no. {memberId}",
        2 => $"ID {memberId}",
        3 => $"mbr {memberId} dues",
        4 => $"for {memberId}",
        5 => $"acct {memberId}",
        6 => $"Customer ID: {memberId}",
        _ => memberId,
    };

    public static string FreeText(Random rng) => rng.Next(8) switch
    {
        0 => "",
        1 => "membership",
        2 => "renewal",
        3 => "2026 renewal",
        4 => "annual",
        5 => "dues payment",
        6 => "thank you",
        _ => "",
    };

    public static string ChattyMemo(Random rng) => rng.Next(6) switch
    {
        0 => "Hi - renewing for another year, thanks for all you do!",
        1 => "Please apply to my membership. Call 555-0142 with questions",
        2 => "renewing (sorry it's late)",
        3 => "this is for my yearly membership fee",
        4 => "Keep up the great work. Renewal enclosed",
        _ => "paid online per your reminder email of Oct 3",
    };

    public static string Donation(Random rng, decimal gift) => rng.Next(3) switch
    {
        0 => $"+ ${gift.ToString("0", CultureInfo.InvariantCulture)} donation",
        1 => $"plus {gift.ToString("0.00", CultureInfo.InvariantCulture)} for the scholarship fund",
        _ => $"incl. gift of {gift.ToString("0", CultureInfo.InvariantCulture)}",
    };

    /// <summary>A payment processor's descriptor as the payer name; <c>FullName</c> says whether the member's whole name is still readable in it.</summary>
    public static (string Payer, bool FullName) Processor(Random rng, string first, string last) => rng.Next(5) switch
    {
        0 => ($"PAYPAL *{first[0]}{last}".ToUpperInvariant(), false),
        1 => ($"SQ *{first} {last}".ToUpperInvariant(), true),
        2 => ("BILL.COM", false),
        3 => ($"VENMO *{first}{last[0]}".ToUpperInvariant(), false),
        _ => ("PAYPAL INST XFER", false),
    };

    public static string StaffMemo(Random rng, IReadOnlyList<string> names) => rng.Next(4) switch
    {
        0 => "employee dues " + string.Join(", ", names),
        1 => "membership for " + string.Join(" and ", names),
        2 => string.Join("; ", names),
        _ => "staff renewals: " + string.Join(", ", names),
    };

    public static string FamilyMemo(Random rng) => rng.Next(3) switch
    {
        0 => "family dues",
        1 => "household membership",
        _ => "dues for both of us",
    };

    /// <summary>Remittance as it reaches the memo from bank files: X12 RMR (CCD+/CTX), camt documents, BAI2 text.</summary>
    public static string Remittance(Random rng, IReadOnlyList<(string Invoice, decimal Amount)> items)
    {
        static string A(decimal a) => a.ToString("0.00", CultureInfo.InvariantCulture);
        var total = items.Sum(i => i.Amount);
        return rng.Next(5) switch
        {
            0 => "DUES " + string.Concat(items.Select(i => $"RMR*IV*{i.Invoice}**{A(i.Amount)}\\")),
            1 => $"ISA*00*          *00*          *ZZ*PAYER~BPR*C*{A(total)}*C*ACH*CTX~" + string.Concat(items.Select(i => $"RMR*IV*{i.Invoice}**{A(i.Amount)}*{A(i.Amount)}~")) + "SE*9*0001~",
            2 => $"RMR*IV*{string.Join(",", items.Select(i => i.Invoice))}**{A(total)}\\",
            3 => string.Join(" | ", items.Select(i => $"Doc: {i.Invoice}")),
            _ => "REMI: INVOICES " + string.Join(" ", items.Select(i => i.Invoice)),
        };
    }
}
