"""The sweep: Hydra grid, job packing, Ray scheduling, the job runner, the Parquet store and the CLI."""
