// One test at a time: TorchSharp 0.107 does not keep the native Scalar it makes from a double alive
// for the whole native call, so a garbage collection triggered by a test on another thread can
// finalize it mid-call ("Expected false to be true ... Scalar.h"). Seen once in a parallel run.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
