// Photos a resident adds to what they send: picked with wx.chooseMedia (album or camera, compressed), and
// kept only within what the service accepts for every upload (core/uploads.py): three photos, 2 MB each.
const wxp = require('./wx')
const { t } = require('./i18n')

const MAX_PHOTOS = 3
const MAX_PHOTO_BYTES = 2 * 1024 * 1024

// Up to `count` photos as WeChat gives them ({ tempFilePath, size }), or null when the resident cancelled.
async function pick(count) {
  let chosen
  try {
    chosen = await wxp.chooseMedia({ count, mediaType: ['image'], sizeType: ['compressed'],
      sourceType: ['album', 'camera'] })
  } catch (e) { return null } // cancelled
  return chosen.tempFiles || []
}

// Up to `count` photos the service accepts -> { paths, tooLarge }: the temporary paths of those within
// 2 MB, and whether any was over; null when the resident cancelled.
async function choose(count) {
  const files = await pick(count)
  if (!files) return null
  return { paths: files.filter((f) => f.size <= MAX_PHOTO_BYTES).slice(0, count).map((f) => f.tempFilePath),
    tooLarge: files.some((f) => f.size > MAX_PHOTO_BYTES) }
}

// The add and remove buttons of a page whose `photos` (temporary paths) go with what it sends, kept in its
// draft by its own `remember()` until the service has them.
const photoButtons = {
  async addPhoto() {
    this.clearError()
    const chosen = await choose(MAX_PHOTOS - this.data.photos.length)
    if (!chosen) return
    if (chosen.tooLarge) {
      this.setData({ error: { text: t('wish.photo_too_large'), next: t('error.413.next'), action: 'none' } })
    }
    this.setData({ photos: this.data.photos.concat(chosen.paths).slice(0, MAX_PHOTOS) })
    this.remember()
  },

  removePhoto(event) {
    const index = Number(event.currentTarget.dataset.index)
    this.setData({ photos: this.data.photos.filter((_p, i) => i !== index) })
    this.remember()
  },
}

module.exports = { pick, choose, photoButtons, MAX_PHOTOS, MAX_PHOTO_BYTES }
