using DuesPilot.Domain;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Collections.Risk;

/// <summary>
/// Trains the risk model on the association's own history and measures it against the rules fallback on
/// held-out members (a member's snapshots are all in training or all held out, so the model is not graded on
/// members it has already seen). Too little history: no model; the rules fallback keeps scoring.
/// </summary>
public static class TrainRiskModel
{
    /// <param name="HeldOutShare">Share of members held out for evaluation.</param>
    public sealed record Request(DateOnly AsOf, string? ModelPath, int Seed = 7, double HeldOutShare = 0.25);

    public enum Result
    {
        Trained,
        /// <summary>Too little history; see <see cref="Outcome.Detail"/>. Nothing saved.</summary>
        TooLittleHistory,
    }

    public sealed record Outcome(Result Result, string Detail, RiskModelCard? Card, RiskModel? Model);

    public static async Task<Outcome> HandleAsync(Store store, TimeProvider clock, Request request, CancellationToken ct = default)
    {
        var facts = await RiskFacts.LoadAsync(store, BusinessClock.Of(clock).Zone, ct);
        return Train(facts.Observations(request.AsOf), clock, request);
    }

    public static Outcome Train(IReadOnlyList<RiskObservation> observations, TimeProvider clock, Request request)
    {
        if (!RiskModel.EnoughHistory(observations, out var reason))
            return new Outcome(Result.TooLittleHistory, reason + "; the rules fallback (history rates, or age and amount bands) scores until there is more", null, null);
        var (training, heldOut) = SplitByMember(observations, request.HeldOutShare, request.Seed);
        var version = $"lbfgs-logistic/{request.AsOf:yyyyMMdd}/{training.Count}";
        var model = RiskModel.Train(training, request.Seed, version);
        // Graded against the fallback that would score without it: history rates calibrated on the same training members.
        var fallback = HistoryRateScorer.TryBuild(training, request.AsOf) as IRiskScorer ?? new BandRiskScorer();
        var card = new RiskModelCard(version, clock.GetUtcNow(), training.Count, RiskModel.Evaluate(model, heldOut), RiskModel.Evaluate(fallback, heldOut));
        if (request.ModelPath is not null) model.Save(request.ModelPath, card);
        return new Outcome(Result.Trained, card.Summary(), card, model);
    }

    /// <summary>Deterministic split by a hash of the member id and the seed.</summary>
    public static (List<RiskObservation> Training, List<RiskObservation> HeldOut) SplitByMember(IReadOnlyList<RiskObservation> observations, double heldOutShare, int seed)
    {
        var training = new List<RiskObservation>();
        var heldOut = new List<RiskObservation>();
        foreach (var o in observations)
        {
            var bucket = (uint)(StableHash(o.Features.MemberId) ^ (uint)seed) % 1000;
            (bucket < heldOutShare * 1000 ? heldOut : training).Add(o);
        }

        return (training, heldOut);
    }

    private static uint StableHash(string text)
    {
        // FNV-1a: string.GetHashCode is randomised per process, and the split must be the same on every run.
        var hash = 2166136261u;
        foreach (var ch in text) hash = unchecked((hash ^ ch) * 16777619u);
        return hash;
    }
}
