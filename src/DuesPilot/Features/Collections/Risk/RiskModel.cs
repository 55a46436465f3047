using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DuesPilot.Features.Collections.Risk;

/// <summary>How well a scorer did on held-out history.</summary>
/// <param name="Auc">Area under the ROC curve: the chance a payer is ranked above a non-payer (0.5 = a coin).</param>
/// <param name="Brier">Mean squared error of the probabilities (lower is better).</param>
/// <param name="Calibration">Per probability band: predicted mean vs observed payment rate.</param>
public sealed record RiskEvaluation(string Scorer, int Observations, double Auc, double Brier, IReadOnlyList<CalibrationBand> Calibration);

public sealed record CalibrationBand(double From, double To, int Count, double MeanPredicted, double Observed);

/// <summary>
/// The trained risk model: logistic regression (L-BFGS) over the association's own history, predicting payment in
/// full within 30 days. Logistic regression rather than a tree ensemble because it is calibrated out of the box,
/// small, and its weights can be read by staff who ask why an account was escalated.
/// </summary>
public sealed class RiskModel : IRiskScorer
{
    /// <summary>Below these counts there is too little history to learn from; the rules fallback is used.</summary>
    public const int MinimumObservations = 200;
    public const int MinimumPerClass = 30;

    private readonly PredictionEngine<ModelInput, ModelOutput> _engine;
    private readonly object _gate = new();

    private RiskModel(MLContext ml, ITransformer model, string version)
    {
        Model = model;
        Version = version;
        _engine = ml.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
        Context = ml;
    }

    public string Version { get; }

    internal ITransformer Model { get; }

    internal MLContext Context { get; }

    public RiskScore Score(RiskFeatures features)
    {
        ModelOutput output;
        lock (_gate) output = _engine.Predict(ModelInput.From(features, false)); // PredictionEngine is not thread-safe.
        var p = Math.Clamp((double)output.Probability, 0.0, 1.0);
        return new RiskScore(p, RiskScore.SegmentOf(p), Version);
    }

    /// <summary>True when the history is big and mixed enough to train on.</summary>
    public static bool EnoughHistory(IReadOnlyCollection<RiskObservation> observations, out string reason)
    {
        var paid = observations.Count(o => o.PaidWithin30Days);
        var unpaid = observations.Count - paid;
        reason = observations.Count < MinimumObservations
            ? $"{observations.Count} observations; at least {MinimumObservations} are needed"
            : paid < MinimumPerClass || unpaid < MinimumPerClass
                ? $"{paid} paid and {unpaid} unpaid; at least {MinimumPerClass} of each are needed"
                : "";
        return reason.Length == 0;
    }

    /// <summary>Trains on <paramref name="training"/> with a fixed seed, so the same history gives the same model.</summary>
    public static RiskModel Train(IReadOnlyList<RiskObservation> training, int seed, string version)
    {
        var ml = new MLContext(seed);
        var data = ml.Data.LoadFromEnumerable(training.Select(o => ModelInput.From(o.Features, o.PaidWithin30Days)));
        var pipeline = ml.Transforms.Categorical.OneHotEncoding([new("TierKey", nameof(ModelInput.Tier)), new("ChannelKey", nameof(ModelInput.Channel))])
            .Append(ml.Transforms.Concatenate("Features", nameof(ModelInput.DaysOverdue), nameof(ModelInput.LogAmount), nameof(ModelInput.TenureYears),
                nameof(ModelInput.PastLatePayments), nameof(ModelInput.PriorDunningResponses), nameof(ModelInput.PriorDunningIgnored), "TierKey", "ChannelKey"))
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(labelColumnName: nameof(ModelInput.Label), featureColumnName: "Features", l1Regularization: 0.01f, l2Regularization: 0.01f));
        return new RiskModel(ml, pipeline.Fit(data), version);
    }

    public void Save(string path, RiskModelCard card)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using (var stream = File.Create(path))
        {
            var schema = Context.Data.LoadFromEnumerable(Array.Empty<ModelInput>()).Schema;
            Context.Model.Save(Model, schema, stream);
        }

        File.WriteAllText(path + ".json", JsonSerializer.Serialize(card, CardJson));
    }

    /// <summary>Loads a saved model, or null when there is none (then the rules fallback scores).</summary>
    public static RiskModel? Load(string path)
    {
        if (!File.Exists(path)) return null;
        var ml = new MLContext(1);
        using var stream = File.OpenRead(path);
        var model = ml.Model.Load(stream, out _);
        var card = File.Exists(path + ".json") ? JsonSerializer.Deserialize<RiskModelCard>(File.ReadAllText(path + ".json"), CardJson) : null;
        return new RiskModel(ml, model, card?.Version ?? "model/unknown");
    }

    private static readonly JsonSerializerOptions CardJson = new() { WriteIndented = true };

    /// <summary>Area under the ROC curve, computed exactly from ranks (ties count half).</summary>
    public static double Auc(IReadOnlyList<(double Score, bool Label)> scored)
    {
        var positives = scored.Count(s => s.Label);
        var negatives = scored.Count - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        var ordered = scored.OrderBy(s => s.Score).ToList();
        double rankSum = 0;
        for (var i = 0; i < ordered.Count;)
        {
            var j = i;
            while (j < ordered.Count && ordered[j].Score == ordered[i].Score) j++;
            var averageRank = (i + 1 + j) / 2.0;
            rankSum += averageRank * ordered.Skip(i).Take(j - i).Count(s => s.Label);
            i = j;
        }

        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>Scores held-out history with <paramref name="scorer"/>: AUC, Brier score and a five-band calibration table.</summary>
    public static RiskEvaluation Evaluate(IRiskScorer scorer, IReadOnlyList<RiskObservation> heldOut)
    {
        var scored = heldOut.Select(o => (scorer.Score(o.Features).Probability, o.PaidWithin30Days)).ToList();
        var brier = scored.Count == 0 ? double.NaN : scored.Average(s => Math.Pow(s.Probability - (s.PaidWithin30Days ? 1 : 0), 2));
        var bands = new List<CalibrationBand>();
        for (var b = 0; b < 5; b++)
        {
            double from = b / 5.0, to = (b + 1) / 5.0;
            var inBand = scored.Where(s => s.Probability >= from && (s.Probability < to || (b == 4 && s.Probability <= 1.0))).ToList();
            if (inBand.Count == 0) continue;
            bands.Add(new CalibrationBand(from, to, inBand.Count, inBand.Average(s => s.Probability), inBand.Average(s => s.PaidWithin30Days ? 1.0 : 0.0)));
        }

        return new RiskEvaluation(scorer.Version, scored.Count, Auc(scored), brier, bands);
    }

    internal sealed class ModelInput
    {
        public float DaysOverdue { get; set; }
        public float LogAmount { get; set; }
        public float TenureYears { get; set; }
        public float PastLatePayments { get; set; }
        public float PriorDunningResponses { get; set; }
        public float PriorDunningIgnored { get; set; }
        public string Tier { get; set; } = "";
        public string Channel { get; set; } = "";
        public bool Label { get; set; }

        public static ModelInput From(RiskFeatures f, bool label) => new()
        {
            DaysOverdue = f.DaysOverdue,
            LogAmount = MathF.Log(1 + Math.Max(0, f.Amount)),
            TenureYears = f.TenureYears,
            PastLatePayments = f.PastLatePayments,
            PriorDunningResponses = f.PriorDunningResponses,
            PriorDunningIgnored = f.PriorDunningIgnored,
            Tier = f.Tier,
            Channel = f.Channel,
            Label = label,
        };
    }

    internal sealed class ModelOutput
    {
        [ColumnName("PredictedLabel")]
        public bool Predicted { get; set; }

        public float Probability { get; set; }

        public float Score { get; set; }
    }
}

/// <summary>What is saved next to a model: when, on what, and how well it did on held-out history.</summary>
public sealed record RiskModelCard(string Version, DateTimeOffset TrainedAt, int TrainingObservations, RiskEvaluation Model, RiskEvaluation Rules)
{
    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"{Version}: trained on {TrainingObservations} observations; held-out AUC {Model.Auc:F3} (rules {Rules.Auc:F3}), Brier {Model.Brier:F3} (rules {Rules.Brier:F3})");
}
