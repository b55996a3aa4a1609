// One test at a time. TorchSharp 0.107 does not keep the native Scalar it makes from a number alive
// for the whole native call, so a garbage collection triggered on another thread can finalize it
// mid-call ("Expected false to be true ... Scalar.h"; seen once in a parallel run). The library now
// holds every Scalar it passes (src/TopKLoss/Scalars.cs, Threading/ScalarLifetimeTests), but the
// tests' own code converts numbers freely (x.mul(3), x + 1.0, generators as temporaries), and tests
// share torch's default generator and settings (CpuRows.MaxDegreeOfParallelism,
// TopK.ValidateDeviceLabels). CsCheck does run the samples of one test on several threads: those
// bodies hold their Scalars and generators.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
