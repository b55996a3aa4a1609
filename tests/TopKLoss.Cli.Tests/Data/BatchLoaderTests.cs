using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Tests.Data;

public class BatchLoaderTests
{
    private static IDataset Small(int perClass = 10) =>
        DataSources.Open($"synthetic:classes=7,groups=1,train={perClass},test=1,dim=3", new DataOptions { ValidationSize = 0 }).Train;

    [Fact]
    public void Epoch_CoversEverySampleOnce_WithMatchingLabelsAndInputs()
    {
        var data = Small();
        var loader = new BatchLoader(data, batchSize: 16, shuffle: true, augment: false, seed: 1);
        var batches = loader.Epoch(0).ToList();
        Assert.Equal(5, loader.BatchCount);
        Assert.Equal([16, 16, 16, 16, 6], batches.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, 70), batches.SelectMany(b => b.Indices).Order());
        Assert.NotEqual(Enumerable.Range(0, 70), batches.SelectMany(b => b.Indices)); // shuffled
        var x = new float[3];
        foreach (var batch in batches)
            for (int i = 0; i < batch.Count; i++)
            {
                Assert.Equal(data.Labels[batch.Indices[i]], batch.Labels[i]);
                data.Load([batch.Indices[i]], x, false, new Random(0));
                Assert.Equal(x, batch.Inputs.AsSpan(3 * i, 3).ToArray());
            }
    }

    [Fact]
    public void Order_DependsOnSeedAndEpochOnly_AndEvaluationKeepsDatasetOrder()
    {
        var data = Small();
        var a = new BatchLoader(data, 8, shuffle: true, augment: false, seed: 3);
        var b = new BatchLoader(data, 8, shuffle: true, augment: false, seed: 3, prefetch: 1);
        Assert.Equal(a.Epoch(2).SelectMany(x => x.Indices), b.Epoch(2).SelectMany(x => x.Indices));
        Assert.NotEqual(a.Order(1), a.Order(2));
        Assert.NotEqual(a.Order(1), new BatchLoader(data, 8, true, false, seed: 4).Order(1));
        Assert.Equal(Enumerable.Range(0, 70), new BatchLoader(data, 8, shuffle: false, augment: false, seed: 3).Epoch(0).SelectMany(x => x.Indices));
    }

    [Fact]
    public void Augmentation_IsDeterministicPerBatch_WhateverThePrefetch()
    {
        using var dir = new TempDirectory();
        DataWriters.IdxDataset(dir.Path, 40, 10, 6, 6, gz: true);
        var train = IdxSource.Open("fashion-mnist:x", dir.Path, fashion: true).Train;
        float[] Run(int prefetch) => new BatchLoader(train, 7, true, augment: true, seed: 9, prefetch: prefetch).Epoch(1).SelectMany(b => b.Inputs).ToArray();
        var reference = Run(1);
        Assert.Equal(reference, Run(6));
        Assert.Equal(reference, Run(0)); // synchronous: same batches
        var plain = new BatchLoader(train, 7, true, augment: false, seed: 9).Epoch(1).SelectMany(b => b.Inputs).ToArray();
        Assert.NotEqual(reference, plain);
    }

    [Fact]
    public void DropLast_AndTensors()
    {
        var data = Small();
        var loader = new BatchLoader(data, 16, shuffle: false, augment: false, seed: 0, dropLast: true);
        var batches = loader.Epoch(0).ToList();
        Assert.Equal(4, batches.Count);
        using var inputs = batches[1].InputTensor();
        using var labels = batches[1].LabelTensor();
        Assert.Equal([16L, 3, 1, 1], inputs.shape);
        Assert.Equal(ScalarType.Int64, labels.dtype);
        Assert.Equal(batches[1].Labels, labels.data<long>().ToArray());
        Assert.Equal(batches[1].Inputs, inputs.data<float>().ToArray());
    }

    [Fact]
    public void LoaderErrors_SurfaceAsTheReadersException()
    {
        using var dir = new TempDirectory();
        var classDir = dir.Sub("train", "a");
        dir.Sub("test", "a");
        DataWriters.Image(Path.Combine(classDir, "broken.png"), 4, 4, SkiaSharp.SKColors.Red);
        DataWriters.Image(Path.Combine(dir.Path, "test", "a", "ok.png"), 4, 4, SkiaSharp.SKColors.Red);
        var source = FolderSource.Open("folder:x", dir.Path, new DataOptions { ImageSize = 8 });
        File.WriteAllText(Path.Combine(classDir, "broken.png"), "no png");   // broken after the headers were checked
        var loader = new BatchLoader(source.Train, 4, false, false, 0);
        var e = Assert.Throws<DataFormatException>(() => loader.Epoch(0).ToList());
        Assert.Contains("broken.png", e.Message);
    }

    [Fact]
    public void FolderBatches_DecodeInParallel_SameAsSequential()
    {
        using var dir = new TempDirectory();
        for (int i = 0; i < 12; i++)
            DataWriters.NoiseImage(Path.Combine(dir.Sub("train", $"c{i % 3}"), $"{i}.png"), 10 + i, 9, SkiaSharp.SKEncodedImageFormat.Png);
        for (int i = 0; i < 3; i++)
            DataWriters.Image(Path.Combine(dir.Sub("test", $"c{i}"), "t.png"), 5, 5, SkiaSharp.SKColors.Blue);
        var train = FolderSource.Open("folder:x", dir.Path, new DataOptions { ImageSize = 8 }).Train;
        var batch = new BatchLoader(train, 12, true, augment: true, seed: 2).Epoch(0).Single();
        // Sequential oracle: the same draws, one sample at a time.
        var rng = Seeds.For(Seeds.Derive(2, "augment", 0), "batch", 0);
        var crops = batch.Indices.Select(_ => new Crop(rng.Next(9), rng.Next(9), rng.Next(2) == 1)).ToArray();
        for (int i = 0; i < 12; i++)
        {
            var plain = new float[192];
            train.Load([batch.Indices[i]], plain, false, new Random(0));
            var expected = new float[192];
            crops[i].Apply(plain, expected, train.SampleShape, c => Normalization.ImageNet.Apply(c, 0));
            Assert.Equal(expected, batch.Inputs.AsSpan(192 * i, 192).ToArray());
        }
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchLoader(Small(), 0, false, false, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchLoader(Small(), 4, false, false, 0, prefetch: -1));
    }
}
