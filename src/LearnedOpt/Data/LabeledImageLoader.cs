namespace LearnedOpt.Data;

/// <summary>Loads an IDX image file and its IDX label file into a <see cref="LabeledDataset"/> with pixels scaled to [0, 1].</summary>
public static class LabeledImageLoader
{
    public static LabeledDataset Load(string imagesPath, string labelsPath, int classCount, out int height, out int width)
    {
        var images = IdxReader.Read(imagesPath);
        var labels = IdxReader.Read(labelsPath);
        if (images.Type != IdxDataType.UInt8 || images.Dimensions.Count != 3)
            throw new InvalidDataException($"{imagesPath}: expected UInt8 images of dimensions [count, height, width], found {images.Type} [{string.Join(", ", images.Dimensions)}].");
        if (labels.Type != IdxDataType.UInt8 || labels.Dimensions.Count != 1)
            throw new InvalidDataException($"{labelsPath}: expected UInt8 labels of dimensions [count], found {labels.Type} [{string.Join(", ", labels.Dimensions)}].");
        int count = images.Dimensions[0];
        if (labels.Dimensions[0] != count)
            throw new InvalidDataException($"{imagesPath} holds {count} images but {labelsPath} holds {labels.Dimensions[0]} labels.");
        var labelBytes = labels.AsBytes();
        int bad = Array.FindIndex(labelBytes, l => l >= classCount);
        if (bad >= 0)
            throw new InvalidDataException($"{labelsPath}: at byte offset {8 + bad}: label {labelBytes[bad]} of item {bad} is not below the class count {classCount}.");

        height = images.Dimensions[1];
        width = images.Dimensions[2];
        var pixels = images.AsBytes();
        var features = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++) features[i] = pixels[i] / 255f;
        return new LabeledDataset(features, labelBytes, height * width, classCount);
    }
}
