using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Tests.Data;

public class AugmentationTests
{
    private static float[] Image(int c, int h, int w) => Enumerable.Range(0, c * h * w).Select(i => (float)i).ToArray();

    [Fact]
    public void Crop_MatchesPaddedCropThenFlip_Oracle()
    {
        int[] shape = [2, 5, 6];
        var source = Image(2, 5, 6);
        for (int dx = 0; dx <= 8; dx += 3)
            for (int dy = 0; dy <= 8; dy += 4)
                foreach (bool flip in new[] { false, true })
                {
                    var output = new float[source.Length];
                    new Crop(dx, dy, flip).Apply(source, output, shape, c => -100 - c);
                    for (int c = 0; c < 2; c++)
                        for (int y = 0; y < 5; y++)
                            for (int x = 0; x < 6; x++)
                            {
                                // Oracle: pad by 4 with the channel's padding value, crop at (dy, dx), then mirror columns.
                                int col = flip ? 5 - x : x;
                                int py = y + dy, px = col + dx; // coordinates in the padded image
                                bool inside = py >= 4 && py < 9 && px >= 4 && px < 10;
                                float expected = inside ? source[c * 30 + (py - 4) * 6 + (px - 4)] : -100 - c;
                                Assert.Equal(expected, output[c * 30 + y * 6 + x]);
                            }
                }
    }

    [Fact]
    public void Crop_None_IsIdentity()
    {
        var source = Image(1, 3, 3);
        var output = new float[9];
        Crop.None.Apply(source, output, [1, 3, 3], _ => 0);
        Assert.Equal(source, output);
        Assert.True(Crop.None.IsIdentity);
    }

    [Fact]
    public void Augment_PadsWithNormalizedBlack_AndLeavesFeatureVectorsAlone()
    {
        using var dir = new TempDirectory();
        DataWriters.IdxDataset(dir.Path, 20, 10, 6, 6, gz: false);
        var images = IdxSource.Open("fashion-mnist:x", dir.Path, fashion: true).Train;
        var plain = new float[36];
        images.Load([3], plain, false, new Random(0));
        int shifted = 0;
        for (int seed = 0; seed < 20; seed++)
        {
            var augmented = new float[36];
            images.Load([3], augmented, true, new Random(seed));
            // Every value is either a pixel of the image or the normalized zero pixel.
            float black = (0 - 0.2860f) / 0.3530f;
            Assert.All(augmented, v => Assert.True(plain.Contains(v) || Math.Abs(v - black) < 1e-6));
            if (!augmented.SequenceEqual(plain)) shifted++;
        }
        Assert.True(shifted > 15, $"augmentation should change most draws; changed {shifted} of 20");

        var features = SyntheticData.Generate(SyntheticData.Parse("classes=4,groups=2,train=2,test=1,dim=5")).Train;
        var a = new float[5];
        var b = new float[5];
        features.Load([1], a, false, new Random(0));
        features.Load([1], b, true, new Random(1));
        Assert.Equal(a, b);
    }

    [Fact]
    public void Load_BadIndexOrShortDestination_Throws()
    {
        var d = SyntheticData.Generate(SyntheticData.Parse("classes=4,groups=2,train=2,test=1,dim=5")).Train;
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Load([8], new float[5], false, new Random(0)));
        Assert.Throws<ArgumentException>(() => d.Load([0, 1], new float[9], false, new Random(0)));
    }
}
