// Browser tests share two cores: one meeting at a time keeps them honest and unflaky.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
