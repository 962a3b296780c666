namespace Strata.Lab;

/// <summary>Bad input or a lab that cannot be built, with a message that names what is wrong and where.</summary>
public class LabException(string message, Exception? inner = null) : Exception(message, inner);
