using TopKLoss.Tests.Support;

namespace TopKLoss.Cli.Tests.Training;

/// <summary>
/// The CLI's own code (models, meters, training, reports) holds every Scalar it passes to TorchSharp,
/// as the library does (src/TopKLoss/Scalars.cs). TorchSharp's internals (SGD.step, the modules'
/// forward) are not ours and still convert numbers themselves.
/// </summary>
public class ScalarLifetimeTests
{
    [Fact]
    public void Topk_holds_every_scalar_it_passes_to_TorchSharp()
    {
        var found = ScalarAudit.UnheldScalars(typeof(TopKLoss.Cli.Training.Trainer).Assembly);
        Assert.True(found.Count == 0, $"{found.Count} calls:\n{string.Join("\n", found)}");
    }
}
