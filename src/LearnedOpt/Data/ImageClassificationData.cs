namespace LearnedOpt.Data;

/// <summary>The standard train and test splits of an image-classification dataset.</summary>
public sealed record ImageClassificationData(LabeledDataset Train, LabeledDataset Test, int Height, int Width);
