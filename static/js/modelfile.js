// Saving a file (a JSON document, a CSV table) as a download and reading JSON back from a file input.

/** Offer `text` to the person as a file called `filename` of media type `type`. */
export function downloadText(filename, text, type) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = filename;
  link.click();
  URL.revokeObjectURL(link.href);
}

/** Offer `data` to the person as a JSON file called `filename`. */
export function downloadJson(filename, data) {
  downloadText(filename, JSON.stringify(data), "application/json");
}

/** The parsed JSON of the file chosen in `input` (null when none); the input is cleared for the next. */
export async function readJsonFile(input) {
  const file = input.files[0];
  if (!file) return null;
  input.value = "";
  try {
    return JSON.parse(await file.text());
  } catch (error) {
    throw new Error(`${file.name} is not JSON: ${error.message}`);
  }
}
