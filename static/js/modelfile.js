// Saving a JSON document as a download and reading one back from a file input.

/** Offer `data` to the person as a JSON file called `filename`. */
export function downloadJson(filename, data) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([JSON.stringify(data)], { type: "application/json" }));
  link.download = filename;
  link.click();
  URL.revokeObjectURL(link.href);
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
