using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TopKLoss.Cli.Models;

/// <summary>
/// A feature extractor followed by a classification head (plain linear, or the library's
/// NormedLinear cosine classifier that LDAM and the imbalanced noised loss are used with).
/// Keeping the head separate lets every architecture take either head.
/// </summary>
public sealed class Classifier : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> head;

    public Classifier(string name, Module<Tensor, Tensor> features, Module<Tensor, Tensor> head) : base(name)
    {
        this.features = features;
        this.head = head;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => head.call(features.call(input));
}
