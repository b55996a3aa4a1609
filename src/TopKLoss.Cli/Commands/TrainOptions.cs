using System.CommandLine;
using TopKLoss.Cli.Data;
using TopKLoss.Cli.Models;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// The options shared by `train` and `compare` (data, model, loss options, optimizer, schedule,
/// noise and subsets), and their validation into a <see cref="TrainSettings"/>.
/// </summary>
public sealed class TrainOptions
{
    public readonly Option<string> Data = new("--data") { Description = "Dataset: synthetic, fashion-mnist:DIR, mnist:DIR, cifar10:DIR, cifar100:DIR, folder:DIR", DefaultValueFactory = _ => "synthetic" };
    public readonly Option<string> Model = new("--model") { Description = "Model: " + ModelFactory.Help, DefaultValueFactory = _ => "mlp" };
    public readonly Option<bool?> NormedHead = new("--normed-head") { Description = "Cosine classifier head (NormedLinear): default on for ldam and imbalanced-noised (their published recipes), off otherwise; --normed-head false turns it off" };
    public readonly Option<int?> ImageSize = new("--image-size") { Description = "folder:DIR images: side of the square the images are resized and cropped to, 8..1024 (default: their median shorter side, up to 224)" };
    public readonly Option<string?> InitWeights = new("--init-weights") { Description = "Start from TorchSharp weights saved with Module.save (same architecture)" };
    public readonly Option<double?> Tau = new("--tau") { Description = "smooth-svm / multi-k-svm temperature τ > 0, logit-adjusted strength τ (default 1)" };
    public readonly Option<double?> Alpha = new("--alpha") { Description = "smooth/hard-svm margin α ≥ 0 (default 1)" };
    public readonly Option<double?> Epsilon = new("--epsilon") { Description = "noised losses: smoothing ε ≥ 0 (default 1 balanced, 0.01 imbalanced)" };
    public readonly Option<int?> Samples = new("--samples") { Description = "noised losses: Monte Carlo samples B ≥ 1 (default 5)" };
    public readonly Option<double?> Gamma = new("--gamma") { Description = "focal loss γ ≥ 0 (default 2)" };
    public readonly Option<double?> MaxMargin = new("--max-margin") { Description = "ldam / imbalanced-noised largest class margin > 0 (default 0.2)" };
    public readonly Option<double?> Scale = new("--scale") { Description = "ldam / imbalanced-noised score scale > 0 (default 30 ldam, 50 imbalanced-noised)" };
    public readonly Option<string?> KMix = new(KMixSpec.Option) { Description = "multi-k-svm: k:weight pairs of the mixture, e.g. 1:0.5,5:0.5" };
    public readonly Option<int> Epochs = new("--epochs") { Description = "Epochs, 1..100000", DefaultValueFactory = _ => 30 };
    public readonly Option<int> BatchSize = new("--batch-size") { Description = "Mini-batch size, 1..65536", DefaultValueFactory = _ => 64 };
    public readonly Option<double> Lr = new("--lr") { Description = "SGD learning rate > 0", DefaultValueFactory = _ => 0.1 };
    public readonly Option<double> Momentum = new("--momentum") { Description = "SGD momentum in [0, 1)", DefaultValueFactory = _ => 0.9 };
    public readonly Option<bool> Nesterov = new("--nesterov") { Description = "Nesterov momentum (needs --momentum > 0)" };
    public readonly Option<double> WeightDecay = new("--weight-decay") { Description = "L2 weight decay ≥ 0", DefaultValueFactory = _ => 1e-4 };
    public readonly Option<string> Milestones = new("--milestones") { Description = "Epochs after which lr is multiplied by --gamma-lr, e.g. 150,225", DefaultValueFactory = _ => "" };
    public readonly Option<double> GammaLr = new("--gamma-lr") { Description = "Learning-rate factor at each milestone, in (0, 1]", DefaultValueFactory = _ => 0.1 };
    public readonly Option<double> Noise = new("--noise") { Description = "Training label-noise probability p in [0, 1]", DefaultValueFactory = _ => 0.0 };
    public readonly Option<string> NoiseGroups = new("--noise-groups") { Description = "Noise protocol: published (blocks of 5 labels, as both published codes), coarse (true superclasses) or a groups FILE", DefaultValueFactory = _ => "published" };
    public readonly Option<string?> Groups = new("--groups") { Description = "Superclass groups FILE for any dataset (one group per line)" };
    public readonly Option<int?> TrainSize = new("--train-size") { Description = "Reduced training set: this many images in all, balanced per class (≥ 1)" };
    public readonly Option<double?> LongTail = new("--long-tail") { Description = "Long-tail imbalance ρ ≥ 1: n_c = n_max·ρ^(−c/(C−1))" };
    public readonly Option<int?> ValidationSize = new("--validation-size") { Description = "Images held out of training for validation when the dataset has no validation split (≥ 1)" };
    public readonly Option<int> K = new("--k") { Description = "k of the top-k losses and of early stopping, 1..C−1", DefaultValueFactory = _ => 5 };
    public readonly Option<string> EarlyStop = new("--early-stop") { Description = "Best-epoch criterion on validation: topk or macro-topk", DefaultValueFactory = _ => "topk" };
    public readonly Option<int> Seed = new("--seed") { Description = "Seed of data splits, noise, initialization and batch order (≥ 0)", DefaultValueFactory = _ => 1234 };
    public readonly Option<string> Device = new("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
    public readonly Option<int?> Threads = new("--threads") { Description = "libtorch CPU threads, 1..1024 (default 1 for mlp, else all cores)" };

    public IEnumerable<Option> All(bool withLossOptions = true)
    {
        Option[] data = [Data, Model, NormedHead, InitWeights, ImageSize];
        Option[] loss = [Tau, Alpha, Epsilon, Samples, Gamma, MaxMargin, Scale, KMix];
        Option[] rest = [Epochs, BatchSize, Lr, Momentum, Nesterov, WeightDecay, Milestones, GammaLr, Noise, NoiseGroups, Groups,
            TrainSize, LongTail, ValidationSize, K, EarlyStop, Seed, Device, Threads];
        return withLossOptions ? data.Concat(loss).Concat(rest) : data.Concat(rest);
    }

    private static string Checked(string kMix)
    {
        KMixSpec.Parse(kMix);
        return kMix;
    }

    /// <summary>Reads and validates every option; the loss name is checked by the caller.</summary>
    public TrainSettings Bind(ParseResult r, string loss)
    {
        double momentum = OptionRanges.In(r.GetValue(Momentum), 0, 1, "--momentum", maxInclusive: false);
        bool nesterov = r.GetValue(Nesterov);
        if (nesterov && momentum == 0)
            throw new UsageException("--nesterov needs --momentum in (0, 1); got --momentum 0.");
        string noiseGroups = r.GetValue(NoiseGroups)!;
        if (noiseGroups is not ("published" or "coarse") && !File.Exists(noiseGroups))
            throw new UsageException($"--noise-groups must be published, coarse or an existing groups file; '{noiseGroups}' is none of these.");
        string? groups = r.GetValue(Groups);
        if (groups is not null && !File.Exists(groups))
            throw new UsageException($"--groups: file not found: {groups}.");
        string? init = r.GetValue(InitWeights);
        if (init is not null && !File.Exists(init))
            throw new UsageException($"--init-weights: file not found: {init}.");
        string model = OptionRanges.OneOf(r.GetValue(Model)!, ModelFactory.Names.ToArray(), "--model");
        return new TrainSettings
        {
            DataSpec = r.GetValue(Data)!,
            Data = new DataOptions
            {
                Noise = OptionRanges.In(r.GetValue(Noise), 0, 1, "--noise"),
                NoiseGroups = noiseGroups,
                GroupsFile = groups,
                TrainSize = r.GetValue(TrainSize) is { } n ? OptionRanges.IntIn(n, 1, int.MaxValue, "--train-size") : null,
                LongTail = OptionRanges.Optional(r.GetValue(LongTail), (v, o) => OptionRanges.In(v, 1, 1e9, o), "--long-tail"),
                ValidationSize = r.GetValue(ValidationSize) is { } v ? OptionRanges.IntIn(v, 1, int.MaxValue, "--validation-size") : null,
                Seed = OptionRanges.IntIn(r.GetValue(Seed), 0, int.MaxValue, "--seed"),
                ImageSize = r.GetValue(ImageSize) is { } size ? OptionRanges.IntIn(size, 8, 1024, "--image-size") : null,
            },
            Model = model,
            NormedHead = r.GetValue(NormedHead),
            InitWeights = init,
            Loss = loss,
            LossOptions = new LossOptions
            {
                K = OptionRanges.IntIn(r.GetValue(K), 1, 1_000_000, "--k"),
                Tau = OptionRanges.Optional(r.GetValue(Tau), OptionRanges.Positive, "--tau"),
                Alpha = OptionRanges.Optional(r.GetValue(Alpha), OptionRanges.NonNegative, "--alpha"),
                Epsilon = OptionRanges.Optional(r.GetValue(Epsilon), OptionRanges.NonNegative, "--epsilon"),
                Samples = r.GetValue(Samples) is { } b ? OptionRanges.IntIn(b, 1, 100_000, "--samples") : null,
                Gamma = OptionRanges.Optional(r.GetValue(Gamma), OptionRanges.NonNegative, "--gamma"),
                MaxMargin = OptionRanges.Optional(r.GetValue(MaxMargin), OptionRanges.Positive, "--max-margin"),
                Scale = OptionRanges.Optional(r.GetValue(Scale), OptionRanges.Positive, "--scale"),
                KMix = r.GetValue(KMix) is { } mix ? Checked(mix) : null,
            },
            Epochs = OptionRanges.IntIn(r.GetValue(Epochs), 1, 100_000, "--epochs"),
            BatchSize = OptionRanges.IntIn(r.GetValue(BatchSize), 1, 65_536, "--batch-size"),
            LearningRate = OptionRanges.Positive(r.GetValue(Lr), "--lr"),
            Momentum = momentum,
            Nesterov = nesterov,
            WeightDecay = OptionRanges.NonNegative(r.GetValue(WeightDecay), "--weight-decay"),
            Milestones = OptionRanges.IntList(r.GetValue(Milestones)!, 1, 100_000, "--milestones"),
            LearningRateGamma = r.GetValue(GammaLr) is var g && g > 0 && g <= 1 ? g : throw new UsageException($"--gamma-lr must be in (0, 1]; got {g.ToString(System.Globalization.CultureInfo.InvariantCulture)}."),
            EarlyStop = r.GetValue(EarlyStop) switch
            {
                "topk" => EarlyStopMetric.TopK,
                "macro-topk" => EarlyStopMetric.MacroTopK,
                var other => throw new UsageException($"--early-stop must be one of topk, macro-topk; got '{other}'."),
            },
            Seed = r.GetValue(Seed),
            Device = OptionRanges.OneOf(r.GetValue(Device)!, DeviceChoice.Names, "--device"),
            Threads = r.GetValue(Threads) is { } t ? OptionRanges.IntIn(t, 1, 1024, "--threads") : null,
        };
    }
}
