namespace DuesPilot.ImisSandbox;

/// <summary>How the sandbox runs: where its SQLite file lives, what association it seeds, the login, limits and faults.</summary>
public sealed class ImisSandboxOptions
{
    /// <summary>TCP port on 127.0.0.1; 0 picks a free one (tests).</summary>
    public int Port { get; set; }

    /// <summary>Folder for <c>imis-sandbox.db</c>. Null: a temporary folder removed when the host is disposed.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Virtual directory the API is served under (e.g. <c>/imis</c>), as cloud sites have; empty for the site root.</summary>
    public string PathBase { get; set; } = "";

    /// <summary>Approximate number of parties (persons and organizations) to seed into an empty database.</summary>
    public int Members { get; set; } = 2000;

    /// <summary>Seed of the generator: the same seed, member count, years and as-of date give the same association.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>The seed's "today": the current dues year is this date's year. Null: the clock's date.</summary>
    public DateOnly? AsOf { get; set; }

    /// <summary>Dues years of invoices to seed, ending with the as-of year.</summary>
    public int YearsOfHistory { get; set; } = 1;

    /// <summary>
    /// Invoices seeded with each kind of billing defect (wrong tier rate, corporate billed at the individual
    /// rate, unprorated join, missing tax line, duplicate invoice, manual price override), so invoice
    /// validation can be tested end to end. Fewer when the association has too few open invoices of the
    /// right sort; <c>GET /sandbox/planted-defects</c> lists what was planted. 0 plants none.
    /// </summary>
    public int PlantedDefects { get; set; } = 3;

    /// <summary>
    /// Bill dues on the accrual basis: invoices get iMIS's numeric invoice ids (like "10938", [DEV-INSTAL]) and can be reversed
    /// through <c>POST /api/Invoice/_execute</c> (<c>CanInvoiceBeReversed</c>, <c>ProcessAccrualReversal</c>). False (the default):
    /// cash-basis subscription invoices with ids like "CASH:23373:20220615-1" [DEV-ALLOC], corrected through <c>PUT /api/Subscription</c>.
    /// </summary>
    public bool AccrualInvoices { get; set; }

    /// <summary>Percent of persons who live in Ontario and pay 13 % HST on dues (as the example billing policy says): their invoices carry a tax line.</summary>
    public int TaxedMembersPercent { get; set; } = 5;

    public string Username { get; set; } = "admin";
    public string Password { get; set; } = "admin";

    /// <summary>Lifetime of issued tokens; iMIS (OWIN default) answers <c>expires_in: 1209599</c>, about 14 days.</summary>
    public int TokenLifetimeSeconds { get; set; } = 1209599;

    /// <summary>Default page size when a request gives no <c>limit</c> (iMIS: 100).</summary>
    public int DefaultLimit { get; set; } = 100;

    /// <summary>Largest <c>limit</c> honoured; larger requests are clamped. iMIS's real maximum is unconfirmed.</summary>
    public int MaxLimit { get; set; } = 500;

    /// <summary>Names of the custom contact panels (multi-instance, Party parent) that exist on this site.</summary>
    public IList<string> CustomObjects { get; } = ["AI_Review_Queue", "AI_Audit_Log"];

    public SandboxFaults Faults { get; set; } = new();

    /// <summary>The sandbox's clock (token expiry, UpdatedOn stamps). Delays always use real time.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;
}

/// <summary>
/// Faults injected on <c>/api/*</c> requests. Each can also be set per request with the header
/// <c>X-Sandbox-Faults</c> or the query parameter <c>sandbox-faults</c>:
/// <c>errors=0.3,afterwrite=0.1,latency=20,rejecttoken=0.05,hang=0</c>.
/// </summary>
public sealed class SandboxFaults
{
    /// <summary>Added latency per request, in milliseconds.</summary>
    public int LatencyMs { get; set; }

    /// <summary>Fraction (0–1) of requests answered 500, 503 or 429 (in equal parts) without doing anything.</summary>
    public double ErrorRate { get; set; }

    /// <summary>Fraction (0–1) of writes (POST/PUT/DELETE) that are carried out and then never answered: the connection drops.</summary>
    public double TimeoutAfterWriteRate { get; set; }

    /// <summary>How long a write answered by <see cref="TimeoutAfterWriteRate"/> hangs before the connection drops; 0 drops it at once.</summary>
    public int TimeoutAfterWriteHangMs { get; set; }

    /// <summary>Fraction (0–1) of requests whose valid token is rejected with 401, as iMIS sometimes does.</summary>
    public double TokenRejectRate { get; set; }

    /// <summary>Seed of the fault dice, so a failing run replays.</summary>
    public int Seed { get; set; } = 7;

    public SandboxFaults With(string spec)
    {
        var copy = (SandboxFaults)MemberwiseClone();
        foreach (var part in spec.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2) continue;
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            switch (kv[0].ToLowerInvariant())
            {
                case "errors": copy.ErrorRate = double.Parse(kv[1], inv); break;
                case "afterwrite": copy.TimeoutAfterWriteRate = double.Parse(kv[1], inv); break;
                case "hang": copy.TimeoutAfterWriteHangMs = int.Parse(kv[1], inv); break;
                case "latency": copy.LatencyMs = int.Parse(kv[1], inv); break;
                case "rejecttoken": copy.TokenRejectRate = double.Parse(kv[1], inv); break;
                default: break;
            }
        }

        return copy;
    }
}
