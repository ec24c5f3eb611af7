// Which page draws a job: image sets on the ConvNet page, autoencoders on the autoencoder page, pictures
// on the painting page, 2D and 1D sets on the playground. A page given a job it does not draw (by a link) sends the person to this one.

const PAGES = { image: "/convnet", autoencode: "/autoencoder", painting: "/painting" };

/** The URL that shows job `jobId` live, by its data set's kind ("classify2d", "image", "painting"...). */
export function jobPage(kind, jobId) {
  return `${PAGES[kind] ?? "/"}#job=${jobId}`;
}
