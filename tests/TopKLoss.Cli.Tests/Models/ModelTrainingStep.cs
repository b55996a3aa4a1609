using TopKLoss.Cli.Models;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Tests.Models;

/// <summary>
/// One training step of a CLI model as <c>topk train</c> takes it (train mode, the CLI's thread
/// count, cross-entropy, SGD with the CLI's default settings) on a batch of 4 random 3×8×8 images,
/// the smallest the ResNets accept. Checks that every parameter gets a finite gradient and that
/// the step leaves finite parameters, some of them changed.
/// </summary>
internal static class ModelTrainingStep
{
    public const int Batch = 4, Side = 8, Classes = 10;

    public static (bool Passed, string Report) Run(string name)
    {
        var settings = new TrainSettings { Model = name };
        CpuThreads.Apply(settings.Threads, name);
        manual_seed(0);
        using var model = ModelFactory.Create(name, [3, Side, Side], Classes, normedHead: false);
        model.train();
        using var optimizer = optim.SGD(model.parameters(), settings.LearningRate, settings.Momentum, 0.0, settings.WeightDecay, settings.Nesterov);
        using var scope = NewDisposeScope();
        var x = randn(Batch, 3, Side, Side);
        var y = arange(Batch, ScalarType.Int64).remainder_(Classes);
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.call(x), y);
        loss.backward();

        var problems = new List<string>();
        var parameters = model.named_parameters().ToList();
        foreach (var (parameterName, parameter) in parameters)
        {
            if (parameter.grad is null) problems.Add($"{parameterName}: no gradient");
            else if (!parameter.grad.isfinite().all().item<bool>()) problems.Add($"{parameterName}: non-finite gradient");
        }
        var before = parameters.Select(p => p.parameter.detach().clone()).ToList();
        optimizer.step();
        int changed = 0;
        foreach (var ((parameterName, parameter), old) in parameters.Zip(before))
        {
            if (!parameter.isfinite().all().item<bool>()) problems.Add($"{parameterName}: non-finite after the step");
            if (!parameter.eq(old).all().item<bool>()) changed++;
        }
        if (changed == 0) problems.Add("the step changed no parameter");

        float value = loss.item<float>();
        string report = $"{name}: loss {value:F4}, {parameters.Count} parameter tensors, {changed} changed by the step, "
            + (problems.Count == 0 ? "all gradients finite" : "problems: " + string.Join("; ", problems));
        return (problems.Count == 0 && float.IsFinite(value), report);
    }
}
