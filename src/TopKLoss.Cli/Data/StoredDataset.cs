namespace TopKLoss.Cli.Data;

/// <summary>
/// Base of every dataset here: a view (list of storage rows + labels) over shared sample storage.
/// Splits, subsets and noisy copies are new views over the same storage, so nothing is copied.
/// Subclasses write one normalized sample; this class adds the training augmentation (random crop
/// with padding 4 and horizontal flip, as torchvision's RandomCrop(padding=4) + RandomHorizontalFlip).
/// </summary>
public abstract class StoredDataset : IDataset
{
    private readonly int[] _rows;
    private readonly int[] _labels;

    protected StoredDataset(string name, int[] rows, int[] labels, IReadOnlyList<string> classNames, int[] sampleShape)
    {
        if (rows.Length != labels.Length)
            throw new ArgumentException($"rows ({rows.Length}) and labels ({labels.Length}) must have the same length.", nameof(labels));
        Name = name;
        _rows = rows;
        _labels = labels;
        ClassNames = classNames;
        SampleShape = sampleShape;
    }

    public string Name { get; }
    public int Count => _rows.Length;
    public int ClassCount => ClassNames.Count;
    public IReadOnlyList<string> ClassNames { get; }
    public int[] SampleShape { get; }
    public IReadOnlyList<int> Labels => _labels;
    public int SampleSize => SampleShape[0] * SampleShape[1] * SampleShape[2];

    /// <summary>Storage row of sample <paramref name="index"/> (for tests and diagnostics).</summary>
    public int RowOf(int index) => _rows[index];

    /// <summary>Padded crop + flip only make sense for images, not for [D,1,1] feature vectors.</summary>
    private bool IsImage => SampleShape[1] > 1 && SampleShape[2] > 1;

    /// <summary>
    /// A view holding samples <paramref name="indices"/> of this view (in that order) with
    /// <paramref name="labels"/> (the same labels, a noisy copy, ...).
    /// </summary>
    public StoredDataset Subset(string name, ReadOnlySpan<int> indices, int[] labels)
    {
        var rows = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++) rows[i] = _rows[indices[i]];
        return WithRows(name, rows, labels);
    }

    /// <summary>Same storage, other rows and labels.</summary>
    protected abstract StoredDataset WithRows(string name, int[] rows, int[] labels);

    /// <summary>Writes storage row <paramref name="row"/>, normalized, as [C,H,W] into <paramref name="destination"/>.</summary>
    protected abstract void WriteRow(int row, int sampleIndex, Span<float> destination);

    /// <summary>Normalized value of a zero (black) pixel per channel: what padding fills in.</summary>
    protected abstract float PaddingValue(int channel);

    /// <summary>True when one sample is expensive (image decoding): samples of a batch are then written in parallel.</summary>
    protected virtual bool DecodeInParallel => false;

    public void Load(ReadOnlySpan<int> indices, Span<float> destination, bool augment, Random rng)
    {
        int size = SampleSize;
        if (destination.Length < indices.Length * size)
            throw new ArgumentException($"destination holds {destination.Length} floats; {indices.Length} samples need {indices.Length * size}.", nameof(destination));
        foreach (int i in indices)
            if ((uint)i >= (uint)_rows.Length)
                throw new ArgumentOutOfRangeException(nameof(indices), i, $"sample indices must lie in [0, {_rows.Length}) for {Name}.");

        // Draw every random choice first, in sample order, from the caller's generator: the result
        // depends only on the generator's state, never on which thread decodes which sample.
        var crops = new Crop[indices.Length];
        if (augment && IsImage)
            for (int i = 0; i < crops.Length; i++)
                crops[i] = new Crop(rng.Next(2 * Crop.Padding + 1), rng.Next(2 * Crop.Padding + 1), rng.Next(2) == 1);
        else
            Array.Fill(crops, Crop.None);

        if (DecodeInParallel && indices.Length > 1)
            LoadParallel(indices.ToArray(), destination, crops, size);
        else
            for (int i = 0; i < indices.Length; i++)
                WriteSample(indices[i], destination.Slice(i * size, size), crops[i]);
    }

    private unsafe void LoadParallel(int[] indices, Span<float> destination, Crop[] crops, int size)
    {
        fixed (float* basePointer = destination)
        {
            nint address = (nint)basePointer;
            try
            {
                Parallel.For(0, indices.Length, i =>
                    WriteSample(indices[i], new Span<float>((float*)address + (long)i * size, size), crops[i]));
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                // Parallel.For wraps the decoder's error; the user needs its message (the file), not "one or more errors".
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
        }
    }

    private void WriteSample(int index, Span<float> destination, Crop crop)
    {
        if (crop.IsIdentity)
        {
            WriteRow(_rows[index], index, destination);
            return;
        }
        float[] scratch = System.Buffers.ArrayPool<float>.Shared.Rent(destination.Length);
        try
        {
            var source = scratch.AsSpan(0, destination.Length);
            WriteRow(_rows[index], index, source);
            crop.Apply(source, destination, SampleShape, PaddingValue);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(scratch);
        }
    }
}

/// <summary>
/// Random crop of the image padded by <see cref="Padding"/> on every side (offsets 0..2·Padding),
/// then an optional horizontal flip. Offset (Padding, Padding) without flip is the identity.
/// </summary>
public readonly record struct Crop(int OffsetX, int OffsetY, bool Flip)
{
    public const int Padding = 4;
    public static readonly Crop None = new(Padding, Padding, false);
    public bool IsIdentity => OffsetX == Padding && OffsetY == Padding && !Flip;

    /// <summary>out[c,y,x] = padded[c, y+OffsetY, x'+OffsetX] with x' = W−1−x when flipped.</summary>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination, int[] shape, Func<int, float> paddingValue)
    {
        int channels = shape[0], height = shape[1], width = shape[2];
        for (int c = 0; c < channels; c++)
        {
            float pad = paddingValue(c);
            var plane = source.Slice(c * height * width, height * width);
            var output = destination.Slice(c * height * width, height * width);
            for (int y = 0; y < height; y++)
            {
                int sy = y + OffsetY - Padding;
                for (int x = 0; x < width; x++)
                {
                    int cx = Flip ? width - 1 - x : x;
                    int sx = cx + OffsetX - Padding;
                    output[y * width + x] = (uint)sy < (uint)height && (uint)sx < (uint)width ? plane[sy * width + sx] : pad;
                }
            }
        }
    }
}
