namespace TopKLoss.Cli.Data;

/// <summary>
/// Mini-batches of an <see cref="IDataset"/>, prepared ahead on background threads so the model
/// never waits: while batch b is consumed, batches b+1 … b+Prefetch are being loaded (image folders
/// additionally decode the samples of one batch in parallel). The window is bounded, so memory is too.
/// Deterministic: the order of epoch e and the augmentation of each batch depend only on
/// (seed, e, batch index), never on thread timing, so a resumed run sees the same batches, and
/// <c>prefetch: 0</c> (load on the calling thread) yields exactly the same batches as prefetching.
/// <para>
/// Caution with TorchSharp 0.107: it converts doubles to native Scalars without keeping them alive
/// across the native call (inside SGD.step, which the library cannot change; the library and the CLI
/// hold their own), so a garbage collection started by another thread's allocation (background
/// loading allocates) can free a Scalar that libtorch is reading.
/// The CLI's trainer therefore loads on its own thread (<c>prefetch: 0</c>, or <see cref="Order"/>
/// + <see cref="Load"/>); image folders still decode the samples of each batch in parallel, while the
/// training thread waits in managed code, which is safe.
/// </para>
/// </summary>
public sealed class BatchLoader
{
    private readonly IDataset _dataset;
    private readonly int _sampleSize;

    /// <param name="dataset">The split to iterate.</param>
    /// <param name="batchSize">Samples per batch (the last one may be smaller unless <paramref name="dropLast"/>).</param>
    /// <param name="shuffle">A new seeded permutation every epoch (training); else dataset order (evaluation).</param>
    /// <param name="augment">Random crop (padding 4) + horizontal flip for images (training).</param>
    /// <param name="seed">Seed of the permutations and augmentations.</param>
    /// <param name="prefetch">Batches prepared ahead on background threads; 0 loads each batch on the calling thread when it is asked for.</param>
    /// <param name="dropLast">Skip a last, incomplete batch.</param>
    public BatchLoader(IDataset dataset, int batchSize, bool shuffle, bool augment, int seed, int prefetch = 4, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be ≥ 1.");
        if (prefetch < 0) throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, "prefetch must be ≥ 0 (0: no background loading).");
        _dataset = dataset;
        _sampleSize = dataset.SampleShape.Aggregate(1, (a, b) => a * b);
        BatchSize = batchSize;
        Shuffle = shuffle;
        Augment = augment;
        Seed = seed;
        Prefetch = prefetch;
        DropLast = dropLast;
    }

    public int BatchSize { get; }
    public bool Shuffle { get; }
    public bool Augment { get; }
    public int Seed { get; }
    public int Prefetch { get; }
    public bool DropLast { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchCount => DropLast ? _dataset.Count / BatchSize : (_dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>Sample order of epoch <paramref name="epoch"/> (a seeded permutation when shuffling).</summary>
    public int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, _dataset.Count).ToArray();
        return Shuffle ? TrainingSplits.Shuffled(order, Seeds.For(Seed, "shuffle", epoch)) : order;
    }

    /// <summary>The batches of epoch <paramref name="epoch"/>, in order, loaded ahead in the background.</summary>
    public IEnumerable<Batch> Epoch(int epoch)
    {
        var order = Order(epoch);
        int count = BatchCount;
        if (Prefetch == 0)
        {
            for (int b = 0; b < count; b++) yield return Load(order, epoch, b);
            yield break;
        }
        var window = new Queue<Task<Batch>>();
        int next = 0;
        for (int b = 0; b < count; b++)
        {
            while (next < count && window.Count < Prefetch + 1)
            {
                int batchIndex = next++;
                window.Enqueue(Task.Run(() => Load(order, epoch, batchIndex)));
            }
            // GetResult rethrows the loader's own exception (e.g. DataFormatException), not an AggregateException.
            yield return window.Dequeue().GetAwaiter().GetResult();
        }
    }

    /// <summary>Loads batch <paramref name="batchIndex"/> of the given order synchronously.</summary>
    public Batch Load(int[] order, int epoch, int batchIndex)
    {
        int start = batchIndex * BatchSize, size = Math.Min(BatchSize, order.Length - start);
        var indices = order.AsSpan(start, size).ToArray();
        var inputs = new float[size * _sampleSize];
        var rng = Seeds.For(Seeds.Derive(Seed, "augment", epoch), "batch", batchIndex);
        _dataset.Load(indices, inputs, Augment, rng);
        var labels = new long[size];
        for (int i = 0; i < size; i++) labels[i] = _dataset.Labels[indices[i]];
        return new Batch(batchIndex, indices, inputs, labels, _dataset.SampleShape);
    }
}
