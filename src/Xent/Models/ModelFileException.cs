namespace Xent;

/// <summary>A problem with a model or checkpoint file; the message names the file and what is wrong.</summary>
/// <param name="message">One line naming the file and what is wrong with it.</param>
public sealed class ModelFileException(string message) : IOException(message)
{
}
