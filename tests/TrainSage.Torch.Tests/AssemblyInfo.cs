// The live-tensor counter is process-wide, so tests that read it must not overlap with others.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
