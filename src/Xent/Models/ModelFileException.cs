namespace Xent;

/// <summary>A problem with a model or checkpoint file; the message names the file and what is wrong.</summary>
public sealed class ModelFileException(string message) : IOException(message)
{
}
